package dev.gantry.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request: method, path, status, bytes sent, duration, cache
 * outcome. Logged under {@code gantry.access} so operators can route it
 * apart. Query strings other than {@code ns} are left out: they may carry
 * things that do not belong in a log.
 */
final class AccessLog {

    private static final Logger log = LoggerFactory.getLogger("gantry.access");

    private final boolean enabled;

    AccessLog(boolean enabled) {
        this.enabled = enabled && log.isInfoEnabled();
    }

    void record(String method, String path, String ns, int status, long bytes, long nanos, String outcome, String note) {
        if (!enabled) {
            return;
        }
        StringBuilder line = new StringBuilder(160)
                .append(method).append(' ').append(clean(path));
        if (ns != null) {
            line.append("?ns=").append(clean(ns));
        }
        line.append(' ').append(status).append(' ').append(bytes).append(' ')
                .append(nanos / 1_000_000).append('.').append((nanos / 100_000) % 10).append("ms ")
                .append(outcome);
        if (note != null) {
            line.append(' ').append(note);
        }
        log.info(line.toString());
    }

    private static String clean(String s) {
        String cut = s.length() > 512 ? s.substring(0, 512) + "…" : s;
        for (int i = 0; i < cut.length(); i++) {
            char c = cut.charAt(i);
            if (c < 0x20 || c == 0x7f || c == ' ') {
                return cut.replaceAll("[\\x00-\\x20\\x7f]", "?");
            }
        }
        return cut;
    }
}
