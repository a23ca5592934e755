package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.oci.RegistryException;
import org.junit.jupiter.api.Test;

/** The {@code n} of a listing: what is a page size, and what is a 400 with a message that is true. */
class PaginationTest {

    @Test
    void absentOrEmptyIsNoLimitAndAnyNonNegativeIntegerIsOne() {
        assertThat(Pagination.pageSize(null)).isNull();
        assertThat(Pagination.pageSize("")).isNull();
        assertThat(Pagination.pageSize("0")).isZero();
        assertThat(Pagination.pageSize("3000000000")).as("beyond an int: everything").isEqualTo(Integer.MAX_VALUE);
        assertThat(Pagination.pageSize("9".repeat(30))).as("beyond a long").isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void negativeOrNotANumberIsA400() {
        for (String n : new String[] {"-1", "abc", "1.5", "+"}) {
            assertThatThrownBy(() -> Pagination.pageSize(n)).as(n).isInstanceOfSatisfying(RegistryException.class,
                    e -> assertThat(e.status()).isEqualTo(400));
        }
    }
}
