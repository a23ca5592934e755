package dev.gantry.scan;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small C programs compiled at test time with gcc, so their instructions are real compiler output. */
public final class Programs {
    private Programs() {
    }

    /** Compiles {@code source} with {@code flags} into {@code dir/name}; skips or fails (CI) without the compiler. */
    public static Path compile(Path dir, String name, String source, String compiler, String... flags)
            throws IOException, InterruptedException {
        TestTools.require(compiler);
        Path c = dir.resolve(name + ".c");
        Files.writeString(c, source);
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of(compiler, "-O3", "-o", out.toString(), c.toString()));
        cmd.addAll(List.of(flags)); // after the source, so -l options resolve its symbols
        TestTools.run(dir, cmd.toArray(String[]::new));
        return out;
    }

    public static Path gcc(Path dir, String name, String source, String... flags)
            throws IOException, InterruptedException {
        return compile(dir, name, source, "gcc", flags);
    }

    /** A floating-point loop the vectoriser turns into the target's SIMD instructions. */
    public static final String VECTOR_LOOP = """
            #include <stdio.h>
            #include <stdlib.h>
            float dot(const float *a, const float *b, int n) { float s = 0; for (int i = 0; i < n; i++) s += a[i] * b[i]; return s; }
            void scale(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
            int main(int argc, char **argv) {
                static float a[1024], b[1024]; static int x[1024], y[1024];
                for (int i = 0; i < 1024; i++) { a[i] = atof(argv[0]) + i; b[i] = i; x[i] = argc + i; y[i] = i; }
                scale(x, y, 1024);
                printf("%f %d\\n", dot(a, b, 1024), x[7]);
                return 0;
            }
            """;
}
