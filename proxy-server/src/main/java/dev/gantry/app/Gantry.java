package dev.gantry.app;

import dev.gantry.auth.Authenticator;
import dev.gantry.config.GantryConfig;
import dev.gantry.config.UpstreamConfig;
import dev.gantry.fleet.Fleet;
import dev.gantry.fleet.HotSet;
import dev.gantry.hardware.CatalogFollower;
import dev.gantry.hardware.CatalogStore;
import dev.gantry.hardware.HardwareCatalog;
import dev.gantry.hardware.HardwareService;
import dev.gantry.hardware.LayerScans;
import dev.gantry.hardware.ScanFollower;
import dev.gantry.http.HttpServer;
import dev.gantry.metrics.GantryMetrics;
import dev.gantry.net.NetRuntime;
import dev.gantry.registry.HostedSeed;
import dev.gantry.registry.Registry;
import dev.gantry.registry.WarmJobs;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.ScanMemory;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.storage.StorageLayout;
import dev.gantry.upstream.HttpTransport;
import dev.gantry.upstream.RegistryClient;
import dev.gantry.upstream.RequestKind;
import dev.gantry.upstream.Upstream;
import dev.gantry.upstream.UpstreamObserver;
import dev.gantry.upstream.UpstreamRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running server: with {@link RegistryAssembly} (the registry's parts),
 * the only place that builds implementations and wires them together.
 * Everything it creates it also stops, in reverse order.
 */
public final class Gantry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Gantry.class);

    private final GantryConfig config;
    private final NetRuntime net;
    private final ExecutorService blocking;
    private final HttpTransport transport;
    private final DiskBlobStore disk;
    private final Registry registry;
    private final GantryMetrics metrics;
    private final Authenticator authenticator;
    private final LayerScans scans;
    private final HardwareService hardware;
    private final HardwareCatalog catalog;
    private final StorageFactory.Opened storage;
    private final ScheduledExecutorService maintenance;
    private final ScheduledExecutorService timers;
    private final HttpServer server;
    private final List<Upstream> upstreams;
    private final DataDirectoryLock dataLock;
    /** Copies hosted content pushed before the bucket into it; null without a bucket. */
    private final HostedSeed seed;
    private final FleetMembership fleet;
    /** The blobs this replica serves most, published for the fleet; null without a shared bucket. */
    private final HotSet hot;
    private volatile InetSocketAddress address;

    private Gantry(GantryConfig config, Clock clock) throws IOException {
        this.config = config;
        // Before anything else opens the directory: a second process must not touch the first's files.
        this.dataLock = DataDirectoryLock.acquire(Path.of(config.storage().disk().path()).toAbsolutePath().normalize());
        this.net = NetRuntime.create(config.server().ioThreads());
        this.blocking = new ThreadPoolExecutor(config.server().blockingThreads(), config.server().blockingThreads(),
                60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), new io.netty.util.concurrent.DefaultThreadFactory("gantry-blocking", true));
        Duration connectTimeout = config.upstreams().stream().map(UpstreamConfig::connectTimeout).max(Duration::compareTo)
                .orElse(Duration.ofSeconds(10));
        int maxConnections = config.upstreams().stream().mapToInt(UpstreamConfig::maxConnections).max().orElse(32);
        this.transport = new HttpTransport(net, connectTimeout, maxConnections);
        this.upstreams = config.upstreams().stream().map(u -> new Upstream(u, clock)).toList();
        this.metrics = new GantryMetrics();
        List<String> kinds = Arrays.stream(RequestKind.values()).map(k -> k.name().toLowerCase(Locale.ROOT)).toList();
        upstreams.forEach(u -> metrics.upstreamKnown(u.name(), kinds));
        UpstreamObserver observer = (u, kind, status) ->
                metrics.upstreamRequest(u.name(), kind.name().toLowerCase(Locale.ROOT), status);
        UpstreamRegistry upstream = new UpstreamRegistry(new RegistryClient(transport, clock, observer));
        this.storage = StorageFactory.open(config.storage(), config.cache().entries(), blocking, clock);
        this.disk = storage.disk();
        this.maintenance = Executors.newSingleThreadScheduledExecutor(
                new io.netty.util.concurrent.DefaultThreadFactory("gantry-maintenance", true));
        // Deadlines and other short timers, never behind a retention sweep or an S3 retry on maintenance.
        this.timers = Executors.newSingleThreadScheduledExecutor(
                new io.netty.util.concurrent.DefaultThreadFactory("gantry-timers", true));
        this.hot = storage.shared() ? new HotSet(FleetIdentity.id(config.fleet()), storage.sharedMeta(), clock) : null;
        this.authenticator = Security.authenticator(config, clock);
        this.fleet = new FleetMembership(config, () -> address, storage.sharedMeta(), upstreams, clock, metrics,
                FleetMembership.news(transport, authenticator.peers(), config.tls().enabled()));
        upstream = RegistryAssembly.fleetWide(upstream, storage.shared(), fleet.fleet(), authenticator.peers(), transport,
                config.tls().enabled());
        RegistryAssembly.Built built = RegistryAssembly.build(upstreams, config.hosted(), upstream, storage.registryStorage(),
                config.cache(), config.prefetch(), blocking, timers, clock, metrics, hot);
        this.registry = built.registry();
        this.seed = RegistryAssembly.hostedSeed(storage, built);
        maintenance.scheduleWithFixedDelay(this::expireUploads, 1, 1, TimeUnit.MINUTES);
        if (storage.shared()) {
            SharedTierJobs.schedule(maintenance, this::retryShared, hot, storage, config.storage().s3(), clock);
        }
        KnowledgeBase kb = config.hardware().knowledgeBase() == null ? KnowledgeBase.embedded()
                : KnowledgeBase.load(Path.of(config.hardware().knowledgeBase()));
        // Big ELF files are spooled next to the store's other temporary files while a scan maps them.
        LayerScanner scanner = new LayerScanner(kb,
                ScanLimits.defaults().withMaxLayerTime(config.hardware().scanTimeLimit()),
                new ScanMemory(config.hardware().scanMemory().bytes()),
                StorageLayout.spoolDir(Path.of(config.storage().disk().path()).toAbsolutePath().normalize()));
        this.scans = new LayerScans(scanner, storage.meta(), blocking, metrics,
                config.hardware().scanThreads(), config.hardware().scanQueue(),
                () -> registry.fillsInFlight() > 0, config.hardware().yieldToFills());
        this.hardware = new HardwareService(registry.manifests(), registry.artifacts(), scans, new ImageAnalyzer(kb, clock),
                storage.meta(), blocking, clock, config.cache().entries());
        registry.contributeReferrers(hardware::referrers);
        this.catalog = new HardwareCatalog(new CatalogStore(storage.meta(), blocking), blocking, HardwareCatalog.DEFAULT_MAX_IMAGES,
                registry::linkedNow);
        ScanFollower follower = new ScanFollower(hardware, scans, catalog,
                d -> disk.statNow(d).isPresent() ? Optional.of(disk.pathOf(d)) : Optional.empty(), config.hardware().scan(),
                timers, clock,
                config.cache().entries());
        registry.observeManifests(follower);
        scans.onScanned(built.events()::scanned);
        built.events().listen(follower);
        CatalogFollower.readBack(registry, hardware, catalog, blocking);
        if (config.hardware().scan()) {
            built.events().listen(new ScanOnArrival(built.layerTypes(), scans, disk));
        }
        log.info("hardware knowledge base {}{}", kb.version(), config.hardware().scan() ? "; layers are scanned as they arrive" : "");
        StatusPage status = new StatusPage(built.status(), scans, metrics, fleet.fleet());
        WarmJobs warm = new WarmJobs(registry, clock);
        PinRevalidation.schedule(registry.admin(), warm, config.cache().pins().revalidate(), storage.shared(), blocking,
                maintenance);
        this.server = new HttpServer(net, registry, config.server(), Security.tls(config), metrics, authenticator, config.auth(),
                hardware, catalog, config.hardware().waitBudget(), status::render, warm);
        StatusHistory history = new StatusHistory(metrics, StatusHistory.gauges(registry::fillsInFlight,
                () -> scans.queued() + scans.running(), () -> StatusHistory.rateLimitRemaining(upstreams)), clock);
        history.schedule(maintenance);
        server.history(history::render);
        server.fleetNews(fleet::receive);
    }

    /**
     * Checks, then builds and starts a server for {@code config}. Nothing is
     * written before the checks pass and the listen address is known to be free.
     *
     * @throws dev.gantry.config.ConfigException listing every problem of the configuration on this machine
     * @throws StartupException when the address or the data directory is taken
     */
    public static Gantry start(GantryConfig config, Clock clock) throws IOException, InterruptedException {
        Preflight.check(config);
        ListenAddress.checkFree(config.listenHost(), config.listenPort());
        Gantry g = new Gantry(config, clock);
        try {
            g.address = g.server.start(config.listenHost(), config.listenPort());
        } catch (Exception e) {
            // Netty rethrows a failed bind's IOException undeclared.
            g.close();
            if (e instanceof InterruptedException interrupted) {
                throw interrupted;
            }
            throw ListenAddress.explain(e, config.listenHost(), config.listenPort());
        }
        for (Upstream u : g.upstreams) {
            log.info("upstream {}{}", u, u.isDefault() ? " (default)" : "");
        }
        g.fleet.start();
        InetSocketAddress self = g.address.getAddress().isAnyLocalAddress()
                ? new InetSocketAddress(InetAddress.getLoopbackAddress(), g.address.getPort()) : g.address;
        WarmUp.beforeReady((config.tls().enabled() ? "https://" : "http://") + self.getHostString() + ":" + self.getPort(),
                config.server().warmUp(), g.hot, g.storage.s3(), g.disk);
        g.server.markReady();
        return g;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** {@code http://host:port} of the bound server. */
    public String url() {
        return (config.tls().enabled() ? "https://" : "http://") + address.getHostString() + ":" + address.getPort();
    }

    public GantryConfig config() {
        return config;
    }

    public Registry registry() {
        return registry;
    }

    public HardwareService hardware() {
        return hardware;
    }

    /** The hardware catalog (for the admin API: forget what an eviction removed). */
    public HardwareCatalog catalog() {
        return catalog;
    }

    public GantryMetrics metrics() {
        return metrics;
    }

    public DiskBlobStore disk() {
        return disk;
    }

    public MemoryBlobStore memory() {
        return storage.memory();
    }

    public List<Upstream> upstreams() {
        return upstreams;
    }

    /** This replica's fleet: its members and shared rate-limit view. */
    public Fleet fleet() {
        return fleet.fleet();
    }

    /** Graceful stop: finish responses in flight (up to the configured grace), then release everything. */
    public void shutdown() {
        shutdown(config.server().shutdownGrace());
    }

    /** Replays writes to the shared tier that failed while it was unwell. */
    /** A failed sweep (the bucket unreachable) is logged; a task that threw would never run again. */
    private void expireUploads() {
        try {
            registry.expireUploads();
        } catch (RuntimeException e) {
            log.warn("expiring idle upload sessions failed; next attempt in a minute: {}", e.toString());
        }
    }

    public void retryShared() {
        try {
            registry.retryPending();
            storage.retryPending();
        } catch (RuntimeException e) {
            log.warn("retrying writes to the shared tier failed: {}", e.toString());
        }
    }

    public void shutdown(Duration grace) {
        server.shutdown(grace);
        fleet.stop();
        maintenance.shutdownNow();
        timers.shutdownNow();
        transport.close();
        net.shutdown(Duration.ofSeconds(5));
        scans.close();
        if (seed != null) {
            seed.close();
        }
        blocking.shutdown();
        try {
            if (!blocking.awaitTermination(10, TimeUnit.SECONDS)) {
                blocking.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        storage.close();
        try {
            dataLock.close();
        } catch (IOException e) {
            log.debug("releasing the data directory lock", e);
        }
        log.info("stopped");
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }
}
