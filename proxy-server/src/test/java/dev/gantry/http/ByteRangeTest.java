package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ByteRangeTest {

    @Test
    void noHeaderMeansTheWholeBody() {
        assertThat(ByteRange.parse(null, 100)).isEmpty();
    }

    @Test
    void resolvesClosedOpenAndSuffixRanges() {
        assertThat(ByteRange.parse("bytes=0-9", 100)).containsExactly(new ByteRange(0, 9));
        assertThat(ByteRange.parse("bytes=90-", 100)).containsExactly(new ByteRange(90, 99));
        assertThat(ByteRange.parse("bytes=-10", 100)).containsExactly(new ByteRange(90, 99));
        assertThat(ByteRange.parse("bytes=-1000", 100)).containsExactly(new ByteRange(0, 99));
        assertThat(ByteRange.parse("bytes=50-5000", 100)).containsExactly(new ByteRange(50, 99));
        assertThat(ByteRange.parse("BYTES=1-1", 100).get(0).length()).isEqualTo(1);
    }

    @Test
    void severalRangesAreSortedAndOverlappingOrAdjacentOnesMerged() {
        assertThat(ByteRange.parse("bytes=50-59,0-1,5-6", 100))
                .containsExactly(new ByteRange(0, 1), new ByteRange(5, 6), new ByteRange(50, 59));
        assertThat(ByteRange.parse("bytes=0-9,5-19,20-29,-5", 100))
                .containsExactly(new ByteRange(0, 29), new ByteRange(95, 99));
    }

    @Test
    void rangesBeyondTheEndAreLeftOutWhileOneIsSatisfiable() {
        assertThat(ByteRange.parse("bytes=200-300,10-19,-0", 100)).containsExactly(new ByteRange(10, 19));
        assertThatThrownBy(() -> ByteRange.parse("bytes=200-300,100-", 100)).isInstanceOf(RegistryException.class);
    }

    @Test
    void moreThanSixtyFourRangesAreRefused() {
        String many = "bytes=" + "0-0,".repeat(64) + "1-1";
        assertThatThrownBy(() -> ByteRange.parse(many, 100))
                .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.status()).isEqualTo(416));
        assertThat(ByteRange.parse("bytes=" + "0-0,".repeat(63) + "1-1", 100)).containsExactly(new ByteRange(0, 1));
    }

    /** RFC 9110 §14.2: a Range header in a unit the server does not understand is ignored (a 200 with the body). */
    @Test
    void aRangeUnitOtherThanBytesIsIgnored() {
        assertThat(ByteRange.parse("items=0-1", 100)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bytes=100-", "bytes=100-200", "bytes=5-4", "bytes=-0", "bytes=abc", "bytes=", "bytes=1-2-3",
        "bytes=99999999999999999999-", "bytes= -", "bytes=-", "bytes=0-1,x", "bytes=,"})
    void unsatisfiableOrMalformedRangesAre416WithTheSize(String header) {
        assertThatThrownBy(() -> ByteRange.parse(header, 100))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.RANGE_INVALID);
                    assertThat(e.status()).isEqualTo(416);
                    assertThat(e.headers()).containsEntry("Content-Range", "bytes */100");
                });
    }

    @Test
    void anEmptyBlobHasNoSatisfiableRange() {
        assertThatThrownBy(() -> ByteRange.parse("bytes=0-", 0)).isInstanceOf(RegistryException.class);
    }
}
