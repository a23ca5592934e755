package dev.gantry.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.ScriptedUpstream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mirrored tags list keeps the spec's paging rules whatever the upstream
 * pages with: GitLab's registry takes {@code n=0} for 100 and pages with a
 * {@code Link}, where the spec wants an empty list without one.
 */
class PullThroughTagsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private ScriptedUpstream upstream;
    private GantryServer gantry;

    @AfterEach
    void stop() throws Exception {
        if (gantry != null) {
            gantry.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void anUpstreamPageLongerThanNIsCutToNAndNZeroIsAnEmptyListWithoutALink() throws Exception {
        byte[] page = "{\"name\":\"grp/app\",\"tags\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}".getBytes(StandardCharsets.UTF_8);
        upstream = new ScriptedUpstream(req -> req.path().startsWith("/v2/grp/app/tags/list")
                ? ScriptedUpstream.Answer.of(200, Map.of("Content-Type", "application/json", "Content-Length",
                        Integer.toString(page.length), "Link", "</v2/grp/app/tags/list?n=5&last=e>; rel=\"next\""), page, false)
                : ScriptedUpstream.Answer.of(404, Map.of("Content-Length", "0"), new byte[0], false));
        gantry = GantryServer.mirroring(upstream.url(), tmp.resolve("data"), MutableClock.startingNow());
        Http http = new Http(gantry.url());

        Http.Response two = http.get("/v2/grp/app/tags/list?n=2");
        assertThat(two.status()).as(two.text()).isEqualTo(200);
        assertThat(JSON.readTree(two.body()).path("tags").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(two.header("Link")).contains("last=b").contains("n=2");

        Http.Response none = http.get("/v2/grp/app/tags/list?n=0");
        assertThat(none.status()).as(none.text()).isEqualTo(200);
        assertThat(JSON.readTree(none.body()).path("tags").toString()).isEqualTo("[]");
        assertThat(none.header("Link")).isNull();
    }
}
