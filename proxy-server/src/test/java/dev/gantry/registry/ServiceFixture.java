package dev.gantry.registry;

import dev.gantry.config.HostedConfig;
import dev.gantry.config.UpstreamConfig;
import dev.gantry.net.NetRuntime;
import dev.gantry.oci.Digest;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.DiskMetadataStore;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.testing.MutableClock;
import dev.gantry.upstream.HttpTransport;
import dev.gantry.upstream.RegistryClient;
import dev.gantry.upstream.Upstream;
import dev.gantry.upstream.UpstreamRegistry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The parts a registry service stands on, in process and without a server:
 * real disk and memory tiers and metadata in a temporary directory, the real
 * upstream client pointed at an in-process upstream (a {@code ScriptedUpstream}),
 * an injected clock, and a listener that records the blob events reported.
 * Hosted repositories are those under {@code hosted/}.
 */
final class ServiceFixture implements AutoCloseable {

    final MutableClock clock = MutableClock.startingNow();
    final ExecutorService blocking = Executors.newFixedThreadPool(4);
    final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
    final NetRuntime net = NetRuntime.create(1);
    final HttpTransport transport = new HttpTransport(net, Duration.ofSeconds(5), 8);
    final UpstreamRegistry upstream = new UpstreamRegistry(new RegistryClient(transport, clock, (u, kind, status) -> { }));
    final MemoryBlobStore memory = new MemoryBlobStore(0, 0, clock);
    final DiskBlobStore disk;
    final DiskMetadataStore meta;
    final BlobEventHub events = new BlobEventHub(clock, 1_000);
    /** The events reported, as {@code kind digest}. */
    final List<String> heard = new CopyOnWriteArrayList<>();
    final ManifestStore manifests;
    final TagStore tags;
    final RepositoryLinks links;
    final BlobTiers tiers;
    final FillCoordinator fills;
    final RepositoryResolver resolver;

    ServiceFixture(Path dir, String upstreamUrl) throws IOException {
        disk = DiskBlobStore.open(dir, 1L << 30, blocking, clock);
        meta = new DiskMetadataStore(dir);
        manifests = new ManifestStore(meta, blocking, 1 << 20);
        tags = new TagStore(meta, blocking, 1_000);
        links = new RepositoryLinks(meta, blocking, 1_000);
        tiers = new BlobTiers(memory, disk, null, null, new BucketWrites(null, disk, null), blocking, clock, 100_000);
        fills = new FillCoordinator(disk, blocking, timers, System::nanoTime, events);
        Upstream up = new Upstream(new UpstreamConfig("upstream", upstreamUrl, true), clock);
        resolver = new RepositoryResolver(List.of(up), List.of(new HostedConfig("hosted/", null)));
        events.listen(new BlobEvents.Listener() {
            @Override
            public void fillCommitted(Digest digest, BlobTiers.Origin origin) {
                heard.add("fillCommitted " + digest + " " + origin);
            }

            @Override
            public void fillFailed(Digest digest, BlobTiers.Origin origin) {
                heard.add("fillFailed " + digest);
            }

            @Override
            public void manifestServed(Repository repo, ManifestResult m) {
                heard.add("manifestServed " + m.digest());
            }

            @Override
            public void manifestPushed(Repository repo, Digest digest, dev.gantry.oci.Manifest manifest) {
                heard.add("manifestPushed " + digest);
            }
        });
    }

    Repository repo(String name) {
        return resolver.resolve(name, null);
    }

    /** Puts verified bytes on the disk tier, as an upload or an earlier fill would have. */
    void onDisk(Digest digest, byte[] bytes) throws IOException {
        var w = disk.newWriter(digest, bytes.length);
        w.write(ByteBuffer.wrap(bytes));
        w.commit();
    }

    long heardCount(String event) {
        return heard.stream().filter(event::equals).count();
    }

    @Override
    public void close() {
        transport.close();
        net.shutdown(Duration.ofSeconds(2));
        timers.shutdownNow();
        blocking.shutdownNow();
        memory.close();
        disk.close();
    }
}
