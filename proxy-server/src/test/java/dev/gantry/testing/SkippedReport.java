package dev.gantry.testing;

import java.util.ArrayList;
import java.util.List;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Says, at the end of a run, which tests did not run and why. Surefire counts a
 * test aborted in {@code @BeforeAll} (a missing helm, say) as a skipped class
 * and prints no reason, so a run could pass while a whole integration suite
 * never ran. Registered for every run through
 * {@code META-INF/services/org.junit.platform.launcher.TestExecutionListener}.
 * Tests that lack a real part fail instead under {@code CI=true}
 * ({@link Tools#require}); what is left here are tests whose precondition
 * is a spec branch the server did not take.
 */
public final class SkippedReport implements TestExecutionListener {

    private final List<String> lines = new ArrayList<>();

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        record(test, "skipped", reason);
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            record(test, "not run", result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan plan) {
        synchronized (lines) {
            if (lines.isEmpty()) {
                return;
            }
            StringBuilder out = new StringBuilder("\n[gantry] ").append(lines.size())
                    .append(" test(s) or test classes did not run:\n");
            lines.forEach(l -> out.append("[gantry]   ").append(l).append('\n'));
            System.err.print(out);
            System.err.flush();
            lines.clear();
        }
    }

    private void record(TestIdentifier test, String what, String reason) {
        String name = test.getLegacyReportingName();
        String where = test.getParentId().map(p -> test.getUniqueId()).orElse(name);
        synchronized (lines) {
            lines.add(what + ": " + displayName(test, where) + " — " + reason);
        }
    }

    private static String displayName(TestIdentifier test, String uniqueId) {
        // "[engine:junit-jupiter]/[class:dev.gantry.X]/[method:y()]" → "X.y()"
        StringBuilder sb = new StringBuilder();
        for (String segment : uniqueId.split("/")) {
            int colon = segment.indexOf(':');
            if (colon < 0 || segment.startsWith("[engine:")) {
                continue;
            }
            String value = segment.substring(colon + 1, segment.length() - 1);
            if (segment.startsWith("[class:") || segment.startsWith("[nested-class:")) {
                value = value.substring(value.lastIndexOf('.') + 1);
            }
            sb.append(sb.length() == 0 ? "" : ".").append(value);
        }
        return sb.length() == 0 ? test.getDisplayName() : sb.toString();
    }
}
