package dev.gantry.scan.kb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class GlobTest {
    @Test
    void aGlobWithoutSlashMatchesTheFileNameAnywhere() {
        Glob g = Glob.compile("libcudart.so*");
        assertThat(g.matchesPath("/usr/local/cuda/lib64/libcudart.so.12")).isTrue();
        assertThat(g.matchesPath("/usr/lib/libcudart.so")).isTrue();
        assertThat(g.matchesPath("/usr/lib/libcudart_static.a")).isFalse();
    }

    @Test
    void starStaysInOneComponentAndDoubleStarCrossesThem() {
        assertThat(Glob.compile("/usr/lib/*/dri/*_dri.so").matchesPath("/usr/lib/x86_64-linux-gnu/dri/i965_dri.so"))
                .isTrue();
        assertThat(Glob.compile("/usr/lib/*/dri/*_dri.so").matchesPath("/usr/lib/a/b/dri/i965_dri.so")).isFalse();
        assertThat(Glob.compile("/opt/rocm*/**").matchesPath("/opt/rocm-5.7/lib/x/libfoo.so")).isTrue();
        assertThat(Glob.compile("**/glibc-hwcaps/x86-64-v3/*").matchesPath("/lib/glibc-hwcaps/x86-64-v3/libz.so"))
                .isTrue();
    }

    @Test
    void classesAndAlternatives() {
        Glob g = Glob.compile("/dev/nvidia[0-9]*");
        assertThat(g.matchesPath("/dev/nvidia0")).isTrue();
        assertThat(g.matchesPath("/dev/nvidiactl")).isFalse();
        assertThat(Glob.compile("{HIP,ROCR}_VISIBLE_DEVICES").matchesName("ROCR_VISIBLE_DEVICES")).isTrue();
        assertThat(Glob.compile("[!a]x").matchesName("bx")).isTrue();
        assertThat(Glob.compile("[!a]x").matchesName("ax")).isFalse();
    }

    @Test
    void aPathGlobMatchesAWholePathGivenAsAName() {
        assertThat(Glob.compile("/dev/hugepages").matchesName("/dev/hugepages")).isTrue();
        assertThat(Glob.compile("/mnt/huge*").matchesName("/mnt/huge1G")).isTrue();
    }

    @Test
    void regexCharactersAreLiteral() {
        assertThat(Glob.compile("a.b+c").matchesName("a.b+c")).isTrue();
        assertThat(Glob.compile("a.b+c").matchesName("axbbc")).isFalse();
    }

    @Test
    void unbalancedBracketsAreRejected() {
        assertThatThrownBy(() -> Glob.compile("lib[abc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Glob.compile("{a,b")).isInstanceOf(IllegalArgumentException.class);
    }
}
