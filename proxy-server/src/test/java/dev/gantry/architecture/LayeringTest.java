package dev.gantry.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameStartingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaConstructorCall;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.gantry.http.HttpServer;
import dev.gantry.storage.DiskBlobStore;
import dev.gantry.storage.MemoryBlobStore;
import dev.gantry.storage.S3BlobStore;
import java.util.List;

/**
 * The package rules DESIGN.md states, checked against the compiled main
 * code: the HTTP layer sees services, never a storage tier or the upstream
 * client; storage knows no HTTP and no registry; the scanner knows no HTTP;
 * configuration is data that depends only on the OCI model; only the command
 * line reaches into the composition root; the leaves (the OCI model, bodies,
 * access control, the upstream client) stay leaves; the hardware extension
 * reads blobs through the registry, never a tier; only {@code app} constructs
 * the registry's services. Each package's
 * {@code package-info.java} states the same rule in words. A change that
 * breaks one fails the build with the offending dependency named.
 */
@AnalyzeClasses(packages = "dev.gantry", importOptions = ImportOption.DoNotIncludeTests.class)
class LayeringTest {

    @ArchTest
    static final ArchRule httpSeesServicesNotTiersOrTheUpstreamClient = noClasses()
            .that().resideInAPackage("dev.gantry.http..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.storage..", "dev.gantry.upstream..",
                    "software.amazon..");

    @ArchTest
    static final ArchRule storageKnowsNoHttpAndNoRegistry = noClasses()
            .that().resideInAPackage("dev.gantry.storage..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "io.netty.handler.codec.http..");

    @ArchTest
    static final ArchRule theScannerKnowsNoHttp = noClasses()
            .that().resideInAPackage("dev.gantry.scan..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "dev.gantry.upstream..", "io.netty.handler.codec.http..");

    @ArchTest
    static final ArchRule configurationIsData = noClasses()
            .that().resideInAPackage("dev.gantry.config..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "dev.gantry.storage..", "dev.gantry.upstream..", "dev.gantry.scan..", "dev.gantry.hardware..",
                    "dev.gantry.app..", "dev.gantry.cli..");

    @ArchTest
    static final ArchRule onlyTheCommandLineReachesTheCompositionRoot = noClasses()
            .that().resideOutsideOfPackages("dev.gantry.app..", "dev.gantry.cli..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.app..", "dev.gantry.cli..");

    @ArchTest
    static final ArchRule theOciModelIsALeaf = noClasses()
            .that().resideInAPackage("dev.gantry.oci..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "dev.gantry.storage..", "dev.gantry.upstream..", "dev.gantry.scan..", "dev.gantry.hardware..",
                    "dev.gantry.auth..", "dev.gantry.content..", "dev.gantry.config..", "io.netty..");

    @ArchTest
    static final ArchRule bodiesKnowNoServices = noClasses()
            .that().resideInAPackage("dev.gantry.content..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "dev.gantry.storage..", "dev.gantry.upstream..", "dev.gantry.hardware..");

    @ArchTest
    static final ArchRule accessControlKnowsNoTransportOrStorage = noClasses()
            .that().resideInAPackage("dev.gantry.auth..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "dev.gantry.storage..", "dev.gantry.upstream..", "io.netty..");

    @ArchTest
    static final ArchRule theUpstreamClientKnowsNoTiersOrFrontEnd = noClasses()
            .that().resideInAPackage("dev.gantry.upstream..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "dev.gantry.storage..", "dev.gantry.hardware..", "dev.gantry.scan..");

    /** The fleet talks through the bucket's metadata store and the upstreams' rate-limit state only. */
    @ArchTest
    static final ArchRule theFleetKnowsNoHttpRegistryOrBlobTier = noClasses()
            .that().resideInAPackage("dev.gantry.fleet..")
            .should().dependOnClassesThat(resideInAPackage("dev.gantry.storage..")
                    .and(not(simpleNameStartingWith("MetadataStore").or(simpleNameStartingWith("StorageLayout")))))
            .orShould().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.registry..",
                    "io.netty.handler.codec.http..", "software.amazon..");

    /** Its records live in the metadata store; blobs and artifacts go through the registry. */
    @ArchTest
    static final ArchRule theHardwareExtensionNeverTouchesABlobTier = noClasses()
            .that().resideInAPackage("dev.gantry.hardware..")
            .should().dependOnClassesThat(resideInAPackage("dev.gantry.storage..")
                    .and(not(simpleNameStartingWith("MetadataStore").or(simpleNameStartingWith("StorageLayout")))))
            .orShould().dependOnClassesThat().resideInAnyPackage("dev.gantry.http..", "dev.gantry.upstream..");

    /**
     * The fill and upload code reach this replica's tier through the
     * {@code LocalTier} port only; which store implements it (disk today) is
     * the composition root's choice, so these classes never name a concrete store.
     */
    @ArchTest
    static final ArchRule fillAndUploadCodeUseTheLocalTierPort = fillAndUploadCodeUseTheLocalTierPort();

    static ArchRule fillAndUploadCodeUseTheLocalTierPort() {
        return noClasses()
                .that().haveNameMatching(FILL_AND_UPLOAD_CLASSES)
                .should().dependOnClassesThat().belongToAnyOf(DiskBlobStore.class, MemoryBlobStore.class,
                        S3BlobStore.class);
    }

    /** The registry's fill and upload classes (nested classes included). */
    static final String FILL_AND_UPLOAD_CLASSES =
            "dev\\.gantry\\.registry\\.(FillCoordinator|BlobFill|Fill\\w*|LocalUploads|SharedUploads|Mounts|Upload\\w*)(\\$.*)?";

    /**
     * The server binds, drains and closes; its connections and handlers get
     * what they need (the route table, the server's state) when it builds
     * them and never call back into it. Only the composition root holds it.
     */
    @ArchTest
    static final ArchRule onlyTheBootstrapAndTheCompositionRootKnowTheServer = noClasses()
            .that(resideInAPackage("dev.gantry..").and(not(belongToAnyOf(HttpServer.class)))
                    .and(not(resideInAPackage("dev.gantry.app.."))))
            .should().dependOnClassesThat().belongToAnyOf(HttpServer.class);

    /**
     * What the server shares with its connections (ready, draining, requests
     * in flight) knows no other HTTP class, so the request path cannot reach
     * the server through it: the RequestHandler ↔ HttpServer cycle stays gone.
     */
    @ArchTest
    static final ArchRule theServersSharedStateIsALeaf = noClasses()
            .that().haveFullyQualifiedName("dev.gantry.http.ServerState")
            .should().dependOnClassesThat(resideInAPackage("dev.gantry..")
                    .and(not(com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName("ServerState"))));

    /** The interfaces the registry's services implement; the HTTP layer and the extensions see only these. */
    static final List<String> SERVICE_INTERFACES = List.of("ManifestService", "BlobService", "TagService",
            "UploadService", "ReferrerService", "CatalogService", "ArtifactPort", "BlobEvents", "BlobEvents$Listener")
            .stream().map(n -> "dev.gantry.registry." + n).toList();

    /**
     * A registry service: a class (not a record or enum) that implements one
     * of {@link #SERVICE_INTERFACES}, or a class of {@code dev.gantry.registry}
     * whose constructor {@code dev.gantry.app} calls (the parts
     * {@code RegistryAssembly} builds: stores, tiers, fills, prefetch...).
     */
    static final DescribedPredicate<JavaClass> REGISTRY_SERVICE = DescribedPredicate.describe(
            "a registry service (implements a service interface, or is a registry part app/ constructs)",
            c -> !c.isRecord() && !c.isEnum() && c.getPackageName().startsWith("dev.gantry")
                    && (SERVICE_INTERFACES.stream().anyMatch(c::isAssignableTo)
                    || c.getPackageName().equals("dev.gantry.registry") && c.getConstructorCallsToSelf().stream()
                            .anyMatch(call -> call.getOriginOwner().getPackageName().startsWith("dev.gantry.app"))));

    /**
     * No class outside {@code dev.gantry.app} calls {@code new} on a registry
     * service ({@link #REGISTRY_SERVICE}): in particular no class in
     * {@code registry/} constructs another registry service, and only
     * {@code app/} calls {@code new} on an implementation of a service
     * interface. {@code CompositionRootRuleTest} shows it fails on a class that does.
     */
    @ArchTest
    static final ArchRule onlyAppConstructsRegistryServices = onlyAppConstructsRegistryServices();

    static ArchRule onlyAppConstructsRegistryServices() {
        return noClasses()
                .that().resideOutsideOfPackage("dev.gantry.app..")
                .should().callConstructorWhere(DescribedPredicate.describe("the target is " + REGISTRY_SERVICE.getDescription(),
                        // A constructor delegating to another of its own class (this(...)) builds nothing new.
                        (JavaConstructorCall call) -> !call.getOriginOwner().equals(call.getTargetOwner())
                                && REGISTRY_SERVICE.test(call.getTargetOwner())));
    }
}
