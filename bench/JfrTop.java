import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JFR recording's CPU samples fall: the methods most often on top of
 * the stack (self) and anywhere in it (inclusive, counted once per sample),
 * over full stacks (`jfr print` cuts them at five frames).
 *
 * <pre>java bench/JfrTop.java RECORDING.jfr [rows] [filter-substring]</pre>
 *
 * With a filter, only samples whose stack contains it are counted. Where
 * {@code RECORDING.jfr.window} exists (bench/lib.sh's jfr_stop writes it: the
 * measured window's first and last millisecond since the epoch, one a line),
 * only the samples inside that window are counted: a dump of a recording that
 * ran from the JVM's start holds whole chunks, so more than the window.
 */
public final class JfrTop {

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int rows = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        String filter = args.length > 2 ? args[2] : null;
        Map<String, Integer> self = new HashMap<>();
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> threads = new HashMap<>();
        long from = Long.MIN_VALUE;
        long to = Long.MAX_VALUE;
        Path window = Path.of(args[0] + ".window");
        if (Files.exists(window)) {
            List<String> w = Files.readAllLines(window);
            from = Long.parseLong(w.get(0).trim());
            to = Long.parseLong(w.get(1).trim());
        }
        int samples = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                continue;
            }
            long at = e.getStartTime().toEpochMilli();
            if (at < from || at > to) {
                continue;
            }
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (frames.isEmpty()) {
                continue;
            }
            if (filter != null && frames.stream().noneMatch(f -> name(f).contains(filter))) {
                continue;
            }
            samples++;
            self.merge(name(frames.get(0)), 1, Integer::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                if (seen.add(name(f))) {
                    inclusive.merge(name(f), 1, Integer::sum);
                }
            }
            String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
            threads.merge(thread.replaceAll("-\\d+$", "-N"), 1, Integer::sum);
        }
        System.out.printf("%d CPU samples%s%s%n", samples, filter == null ? "" : " containing " + filter,
                from == Long.MIN_VALUE ? "" : " in the window of " + window.getFileName());
        print("threads", threads, samples, rows);
        print("self", self, samples, rows);
        print("inclusive", inclusive, samples, rows);
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static void print(String title, Map<String, Integer> counts, int total, int rows) {
        System.out.println("-- " + title);
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(rows)
                .forEach(en -> System.out.printf("%6d %5.1f%%  %s%n", en.getValue(), 100.0 * en.getValue() / total, en.getKey()));
    }
}
