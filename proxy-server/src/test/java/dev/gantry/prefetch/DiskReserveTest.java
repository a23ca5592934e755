package dev.gantry.prefetch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DiskReserveTest {

    private final AtomicLong free = new AtomicLong(1000);
    private final DiskReserve reserve = new DiskReserve(300, free::get);

    @Test
    void aFillThatWouldLeaveLessThanTheReserveIsRefused() {
        assertThat(reserve.claim(701)).isFalse();
        assertThat(reserve.claimed()).isZero();
        assertThat(reserve.claim(700)).isTrue();
    }

    @Test
    void fillsLetInAndNotFinishedCountAgainstTheFreeSpace() {
        assertThat(reserve.claim(400)).isTrue();
        // The file system still reports 1000 free (nothing written yet): the first fill's bytes count anyway.
        assertThat(reserve.claim(400)).isFalse();
        assertThat(reserve.claim(300)).isTrue();
        assertThat(reserve.claimed()).isEqualTo(700);

        reserve.release(400);
        assertThat(reserve.claim(400)).isTrue();
    }

    @Test
    void theFreeSpaceIsAskedAtEachClaim() {
        assertThat(reserve.claim(100)).isTrue();
        free.set(350); // something else filled the disk
        assertThat(reserve.claim(1)).isFalse();
        free.set(10_000);
        assertThat(reserve.claim(1000)).isTrue();
    }
}
