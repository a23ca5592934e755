import dev.gantry.oci.Digest;
import dev.gantry.scan.ImageAnalyzer;
import dev.gantry.scan.LayerFindings;
import dev.gantry.scan.LayerScanner;
import dev.gantry.scan.ScanLimits;
import dev.gantry.scan.kb.KnowledgeBase;
import dev.gantry.scan.tar.BoundedTarInputStream;
import dev.gantry.scan.tar.LayerStreams;
import java.io.BufferedInputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scans each layer file given on the command line RUNS times (after one
 * warm-up) on one thread and prints, per layer, the medians of CPU time and
 * wall time and the compressed MB per CPU-second, and the CPU time of the
 * part no analysis can save: decompressing and walking the tar through the
 * scanner's own bounded streams, reading every body ("inflate_cpu_s"); then,
 * for each "image=layer1,layer2,..." argument, the wall time to scan its
 * layers and merge them. Run by bench/scan/run.sh.
 */
public final class ScanBench {
    public static void main(String[] args) throws Exception {
        int runs = Integer.parseInt(System.getProperty("runs", "5"));
        KnowledgeBase kb = KnowledgeBase.embedded();
        LayerScanner scanner = new LayerScanner(kb, ScanLimits.defaults());
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        System.out.println("layer\tcompressed_MB\tcpu_s_median\twall_s_median\tMB_per_cpu_s\tstatus\tinflate_cpu_s");
        for (String arg : args) {
            if (arg.startsWith("image=")) {
                continue;
            }
            Path p = Path.of(arg);
            double mb = Files.size(p) / 1e6;
            int reps = (int) Math.max(1, Math.min(200, 50 / Math.max(mb, 0.01))); // small layers: repeat
            for (int w = 0; w < reps; w++) {
                scan(scanner, p);
            }
            double[] cpu = new double[runs];
            double[] wall = new double[runs];
            double[] inflate = new double[runs];
            LayerFindings f = null;
            for (int i = 0; i < runs; i++) {
                long c0 = mx.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                for (int r = 0; r < reps; r++) {
                    f = scan(scanner, p);
                }
                cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / reps;
                wall[i] = (System.nanoTime() - w0) / 1e9 / reps;
                c0 = mx.getCurrentThreadCpuTime();
                for (int r = 0; r < reps; r++) {
                    inflateOnly(p);
                }
                inflate[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e9 / reps;
            }
            double c = median(cpu);
            System.out.printf("%s\t%.1f\t%.3f\t%.3f\t%.1f\t%s\t%.3f%n", p.getFileName(), mb, c, median(wall), mb / c,
                    f.status().json(), median(inflate));
        }
        ImageAnalyzer analyzer = new ImageAnalyzer(kb, Clock.systemUTC());
        System.out.println();
        System.out.println("image\tlayers\tcompressed_MB\twall_s_median\tcpu_s_median");
        for (String arg : args) {
            if (!arg.startsWith("image=")) {
                continue;
            }
            String[] spec = arg.substring(6).split(":", 2);
            List<Path> layers = Arrays.stream(spec[1].split(",")).map(Path::of).toList();
            double mb = 0;
            for (Path l : layers) {
                mb += Files.size(l) / 1e6;
            }
            double[] wall = new double[runs];
            double[] cpu = new double[runs];
            for (int i = 0; i < runs; i++) {
                long c0 = mx.getCurrentThreadCpuTime();
                long w0 = System.nanoTime();
                List<LayerFindings> found = new ArrayList<>();
                for (Path l : layers) {
                    found.add(scan(scanner, l));
                }
                analyzer.analyze(null, null, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{}}"
                        .getBytes(StandardCharsets.UTF_8), found);
                wall[i] = (System.nanoTime() - w0) / 1e9;
                cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e9;
            }
            System.out.printf("%s\t%d\t%.1f\t%.3f\t%.3f%n", spec[0], layers.size(), mb, median(wall), median(cpu));
        }
    }

    private static LayerFindings scan(LayerScanner scanner, Path p) throws Exception {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16)) {
            return scanner.scan(Digest.sha256(p.toString().getBytes(StandardCharsets.UTF_8)), null, in);
        }
    }

    /** Decompresses the layer and reads every tar body through the scanner's streams, analysing nothing. */
    private static void inflateOnly(Path p) throws Exception {
        ScanLimits limits = ScanLimits.defaults();
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = new BufferedInputStream(Files.newInputStream(p), 1 << 16)) {
            LayerStreams streams = LayerStreams.open(in, limits.maxExpandedBytes(), limits.maxRatio(),
                    limits.ratioFloorBytes());
            BoundedTarInputStream tar = new BoundedTarInputStream(streams.tar(), limits.maxMetadataBytes(),
                    limits.maxEntries());
            while (tar.next() != null) {
                while (tar.read(buf, 0, buf.length) > 0) {
                    // discard: the floor is decompressing and walking, nothing else
                }
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
