package dev.gantry.architecture;

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
 * line reaches into the composition root. A change that breaks one fails the
 * build with the offending dependency named.
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
}
