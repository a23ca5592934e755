package dev.gantry.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Gantry's access log ({@code gantry.access}) captured from the running JVM,
 * so a test sees what a real client asked Gantry for. Lines are written when
 * a response has been sent, which can be a moment after the client has read
 * it: wait with {@link #await}.
 */
public final class AccessLogRecorder implements AutoCloseable {

    /** One request as Gantry logged it. {@code ns} is containerd's {@code ?ns=}, or null. */
    public record Entry(String method, String path, String ns, int status, String outcome, String note) {

        public boolean isGet() {
            return method.equals("GET");
        }

        public boolean isSuccess() {
            return status >= 200 && status < 300;
        }

        /** A request for {@code repository}'s manifest or blob {@code reference}, however the upstream was chosen. */
        public boolean is(String repository, String kind, String reference) {
            return path.endsWith("/" + repository + "/" + kind + "/" + reference);
        }

        @Override
        public String toString() {
            return method + " " + path + (ns == null ? "" : "?ns=" + ns) + " " + status + " " + outcome
                    + (note == null ? "" : " " + note);
        }

        static Entry parse(String line) {
            // METHOD PATH[?ns=NS] STATUS BYTES DURATION OUTCOME [NOTE...]
            String[] f = line.split(" ", 7);
            String path = f[1];
            String ns = null;
            int q = path.indexOf("?ns=");
            if (q >= 0) {
                ns = path.substring(q + 4);
                path = path.substring(0, q);
            }
            return new Entry(f[0], path, ns, Integer.parseInt(f[2]), f[5], f.length > 6 ? f[6] : null);
        }
    }

    private final Logger logger;
    private final List<Entry> entries = new ArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            synchronized (entries) {
                entries.add(Entry.parse(event.getFormattedMessage()));
            }
        }
    };

    private AccessLogRecorder(Logger logger) {
        this.logger = logger;
    }

    /** Starts recording every access line any Gantry in this JVM writes. */
    public static AccessLogRecorder attach() {
        Logger logger = (Logger) LoggerFactory.getLogger("gantry.access");
        AccessLogRecorder recorder = new AccessLogRecorder(logger);
        recorder.appender.setContext(logger.getLoggerContext());
        recorder.appender.setName("access-log-recorder");
        recorder.appender.start();
        logger.addAppender(recorder.appender);
        return recorder;
    }

    public List<Entry> entries() {
        synchronized (entries) {
            return new ArrayList<>(entries);
        }
    }

    public List<Entry> entries(Predicate<Entry> which) {
        return entries().stream().filter(which).toList();
    }

    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    /**
     * Waits until {@code which} matches at least one logged entry and returns all
     * matches, or fails after {@code timeout} listing what was logged.
     */
    public List<Entry> await(String what, Predicate<Entry> which, Duration timeout) {
        return Awaits.waitFor("Gantry logging " + what, timeout)
                .explain(() -> "it logged:\n" + String.join("\n", entries().stream().map(Entry::toString).toList()))
                .until(() -> entries(which), found -> !found.isEmpty());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
