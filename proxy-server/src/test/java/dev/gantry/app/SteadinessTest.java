package dev.gantry.app;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When a warming server counts as serving at steady speed. */
class SteadinessTest {

    private static final int W = Steadiness.WINDOWS_PER_SECOND;

    @Test
    void aSpeedThatRoseAndThenHeldForTwoSecondsWithTheJitQuietIsSteadyNotBefore() {
        Steadiness s = new Steadiness();
        int window = 0;
        // A cold JVM: the speed doubles each second for three seconds.
        for (long perWindow : new long[] {100, 200, 400}) {
            for (int i = 0; i < W; i++, window++) {
                assertThat(s.add(perWindow, window * 10L)).as("window %d while rising", window).isFalse();
            }
        }
        // Then it holds at 800 per window: steady once two whole seconds held within 10 % of the one before.
        int steadyAt = -1;
        for (int i = 0; i < 4 * W && steadyAt < 0; i++, window++) {
            if (s.add(800, 1_000)) {
                steadyAt = i;
            }
        }
        assertThat(steadyAt).as("windows at 800 before steady").isEqualTo(3 * W - 1);
    }

    @Test
    void aSpeedThatKeepsRisingMoreThanTenPercentASecondIsNeverSteady() {
        Steadiness s = new Steadiness();
        double perWindow = 100;
        for (int second = 0; second < 10; second++, perWindow *= 1.15) {
            for (int i = 0; i < W; i++) {
                assertThat(s.add((long) perWindow, 0)).as("second %d", second).isFalse();
            }
        }
    }

    @Test
    void aFlatSpeedWhileTheJitStillCompilesIsNotSteadyUntilItGoesQuiet() {
        Steadiness s = new Steadiness();
        long compiled = 0;
        for (int i = 0; i < 5 * W; i++) {
            compiled += 50; // 200 ms of compilation per second: more than a tenth
            assertThat(s.add(500, compiled)).as("window %d while compiling", i).isFalse();
        }
        boolean steady = false;
        for (int i = 0; i < W && !steady; i++) {
            compiled += 5;
            steady = s.add(500, compiled);
        }
        assertThat(steady).as("steady within a second of the JIT going quiet").isTrue();
    }

    @Test
    void aDipIsNotGrowthAndNothingServedIsNotSteady() {
        Steadiness dip = new Steadiness();
        boolean steady = false;
        for (int i = 0; i < 3 * W; i++) {
            steady = dip.add(i >= 2 * W ? 300 : 500, -1); // the last second slower (a GC pause, a neighbour)
        }
        assertThat(steady).isTrue();

        Steadiness idle = new Steadiness();
        for (int i = 0; i < 5 * W; i++) {
            assertThat(idle.add(0, -1)).isFalse();
        }
    }
}
