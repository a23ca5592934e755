package dev.gantry.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.gantry.registry.UploadsOnTheConcreteDisk;
import org.junit.jupiter.api.Test;

/**
 * {@link LayeringTest#fillAndUploadCodeUseTheLocalTierPort()} can fail: the
 * main code passes it, and the main code plus one upload class that names
 * {@code DiskBlobStore} breaks it, with that class named.
 */
class LocalTierRuleTest {

    @Test
    void theFillAndUploadCodeDependOnThePortOnly() {
        JavaClasses main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.gantry");

        EvaluationResult result = LayeringTest.fillAndUploadCodeUseTheLocalTierPort().evaluate(main);

        assertThat(result.hasViolation()).as(result.getFailureReport().toString()).isFalse();
    }

    @Test
    void anUploadClassNamingTheDiskStoreBreaksTheRule() {
        JavaClasses withOffender = new ClassFileImporter().importPackages("dev.gantry");

        EvaluationResult result = LayeringTest.fillAndUploadCodeUseTheLocalTierPort().evaluate(withOffender);

        String report = String.join("\n", result.getFailureReport().getDetails());
        assertThat(report).contains(UploadsOnTheConcreteDisk.class.getName() + ".spool(")
                .contains("DiskBlobStore");
    }
}
