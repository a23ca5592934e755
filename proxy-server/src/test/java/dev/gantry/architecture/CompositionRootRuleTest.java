package dev.gantry.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.gantry.registry.ConstructsAService;
import org.junit.jupiter.api.Test;

/**
 * {@link LayeringTest#onlyAppConstructsRegistryServices()} is no rule that
 * cannot fail: the main code passes it, and the main code plus one class in
 * {@code registry/} that calls {@code new} on registry services breaks it,
 * with that class named.
 */
class CompositionRootRuleTest {

    private static JavaClasses main() {
        return new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.gantry");
    }

    @Test
    void theMainCodeKeepsConstructionInApp() {
        EvaluationResult result = LayeringTest.onlyAppConstructsRegistryServices().evaluate(main());

        assertThat(result.hasViolation()).as(result.getFailureReport().toString()).isFalse();
    }

    @Test
    void aRegistryClassThatConstructsAServiceBreaksTheRule() {
        JavaClasses withOffender = new ClassFileImporter().importPackages("dev.gantry");

        EvaluationResult result = LayeringTest.onlyAppConstructsRegistryServices().evaluate(withOffender);

        String report = String.join("\n", result.getFailureReport().getDetails());
        assertThat(report).contains(ConstructsAService.class.getName() + ".tags(")
                .contains("TagStore.<init>")
                .contains(ConstructsAService.class.getName() + ".catalog(")
                .contains("HostedCatalog.<init>");
    }
}
