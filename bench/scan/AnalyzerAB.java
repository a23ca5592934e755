import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Before/after comparison of {@code ElfAnalyzer} in one JVM: loads two
 * builds (class paths A and B, e.g. main's classes and this branch's) in
 * their own class loaders and analyses each ELF file with both,
 * alternately, RUNS times; prints the median thread CPU time of each and
 * whether the two reports are equal. Alternating in one process cancels
 * the drift of a shared machine's load, which swamps a 10% difference
 * between separate runs.
 *
 * <pre>java -cp CLASSPATH_B bench/scan/AnalyzerAB.java CLASSPATH_A CLASSPATH_B RUNS FILE...</pre>
 */
public final class AnalyzerAB {
    public static void main(String[] args) throws Exception {
        Object[][] builds = {load(args[0]), load(args[1])};
        int runs = Integer.parseInt(args[2]);
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int i = 3; i < args.length; i++) {
            byte[] file = Files.readAllBytes(Path.of(args[i]));
            double[][] ms = new double[2][runs];
            String[] report = new String[2];
            for (int r = 0; r < runs; r++) {
                for (int k = 0; k < 2; k++) {
                    long c0 = mx.getCurrentThreadCpuTime();
                    Object result = ((Method) builds[k][1]).invoke(builds[k][0], file, file.length, (long) file.length);
                    ms[k][r] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
                    report[k] = result.toString();
                }
            }
            Arrays.sort(ms[0]);
            Arrays.sort(ms[1]);
            double a = ms[0][runs / 2];
            double b = ms[1][runs / 2];
            System.out.printf("%s\tA %.1f ms\tB %.1f ms\t%+.0f%%\tsame report: %s%n", Path.of(args[i]).getFileName(),
                    a, b, 100 * (b / a - 1), report[0].equals(report[1]));
        }
    }

    /** An {@code ElfAnalyzer} with the embedded knowledge base of the build on {@code classPath}, and its analyze method. */
    private static Object[] load(String classPath) throws Exception {
        URL[] urls = Arrays.stream(classPath.split(":")).map(AnalyzerAB::url).toArray(URL[]::new);
        ClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader());
        Class<?> kbClass = loader.loadClass("dev.gantry.scan.kb.KnowledgeBase");
        Object kb = kbClass.getMethod("embedded").invoke(null);
        Class<?> analyzer = loader.loadClass("dev.gantry.scan.elf.ElfAnalyzer");
        Object instance = analyzer.getConstructor(Set.class, List.class)
                .newInstance(Set.of(), kbClass.getMethod("dispatchApis").invoke(kb));
        return new Object[] {instance, analyzer.getMethod("analyze", byte[].class, int.class, long.class)};
    }

    private static URL url(String path) {
        try {
            return Path.of(path).toUri().toURL();
        } catch (java.net.MalformedURLException e) {
            throw new IllegalArgumentException(path, e);
        }
    }
}
