package dev.gantry.it.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.S3ProxyServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's Grafana dashboard cannot silently rot: it parses, every panel
 * has a query, and every metric its queries name is one a running Gantry
 * exports on {@code /metrics} (one with the S3 tier, whose series exist only
 * then, and one without).
 */
class GrafanaDashboardIT {

    static final Path DASHBOARD = HelmChartIT.CHART.resolve("dashboards").resolve("gantry.json");
    /** PromQL's functions, aggregations and keywords: every other bare word in a query is a metric. */
    private static final Set<String> PROMQL = Set.of("sum", "min", "max", "avg", "count", "rate", "irate", "increase",
            "histogram_quantile", "clamp_min", "clamp_max", "by", "without", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "label_values", "instance");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    @TempDir
    Path tmp;

    @Test
    void everyQueryNamesOnlyMetricsGantryExports() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.path("targets")).as("queries of panel %s", panel.path("title")).isNotEmpty();
            panel.path("targets").forEach(t -> queries.add(t.path("expr").asText()));
        }
        dashboard.path("templating").path("list").forEach(v -> {
            if (v.path("query").has("query")) {
                queries.add(v.path("query").path("query").asText());
            }
        });
        Set<String> used = new TreeSet<>();
        queries.forEach(q -> used.addAll(metricsIn(q)));
        assertThat(used).as("metrics the dashboard reads").hasSizeGreaterThan(25)
                .contains("gantry_http_requests_total", "gantry_cache_requests_total", "jvm_memory_used_bytes", "process_cpu_seconds_total");

        Set<String> exported = new TreeSet<>(scrape(GantryServer.mirroring("http://127.0.0.1:9", tmp.resolve("plain"), MutableClock.startingNow())));
        try (S3ProxyServer s3 = S3ProxyServer.start(tmp.resolve("s3"))) {
            s3.createBucket("gantry");
            exported.addAll(scrape(GantryServer.start("upstreams:\n  - name: docker.io\n    url: http://127.0.0.1:9\n    default: true\n"
                    + "storage:\n  disk:\n    path: " + tmp.resolve("with-s3") + "\n" + s3.yaml("gantry", ""), tmp, MutableClock.startingNow())));
        }
        assertThat(exported).as("series on /metrics").containsAll(used);
    }

    @Test
    void theMetricExtractionSeesEveryMetricAndNothingElse() {
        assertThat(metricsIn("histogram_quantile(0.99, sum by (le, route) (rate(gantry_http_request_duration_seconds_bucket"
                + "{instance=~\"$instance\",status=~\"5..\"}[$__rate_interval]))) / clamp_min(sum(up_metric), 1e-9)"))
                .containsExactlyInAnyOrder("gantry_http_request_duration_seconds_bucket", "up_metric");
        assertThat(metricsIn("label_values(gantry_http_connections, instance)")).containsExactly("gantry_http_connections");
    }

    /** The metric names a PromQL expression reads. */
    static Set<String> metricsIn(String expr) {
        String bare = expr.replaceAll("\"[^\"]*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", " ")
                .replaceAll("(?<![a-zA-Z_:])\\d[\\d.]*(e[-+]?\\d+)?", " ");
        Set<String> out = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            if (!PROMQL.contains(m.group())) {
                out.add(m.group());
            }
        }
        return out;
    }

    /** The series names a server exports, after a request or two so per-route series exist. */
    private static Set<String> scrape(GantryServer server) {
        try (server) {
            Http http = new Http(server.url());
            assertThat(http.get("/v2/").status()).isEqualTo(200);
            http.get("/metrics");
            Set<String> names = new TreeSet<>();
            for (String line : http.get("/metrics").text().split("\n")) {
                Matcher m = IDENTIFIER.matcher(line);
                if (!line.startsWith("#") && m.lookingAt()) {
                    names.add(m.group());
                }
            }
            return names;
        }
    }
}
