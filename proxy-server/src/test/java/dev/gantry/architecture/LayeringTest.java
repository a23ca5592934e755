package dev.gantry.architecture;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleNameStartingWith;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package rules DESIGN.md states, checked against the compiled main
 * code: the HTTP layer sees services, never a storage tier or the upstream
 * client; storage knows no HTTP and no registry; the scanner knows no HTTP;
 * configuration is data that depends only on the OCI model; only the command
 * line reaches into the composition root; the leaves (the OCI model, bodies,
 * access control, the upstream client) stay leaves; the hardware extension
 * reads blobs through the registry, never a tier. Each package's
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
}
