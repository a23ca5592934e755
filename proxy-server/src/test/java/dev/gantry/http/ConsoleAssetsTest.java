package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.gantry.oci.RegistryException;
import io.netty.handler.codec.http.FullHttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The console's files: the right type, revalidation by ETag, a strict policy, and nothing outside console/. */
class ConsoleAssetsTest {

    private final ConsoleAssets assets = new ConsoleAssets("console/");

    @Test
    void theIndexIsHtmlWithAStrictContentSecurityPolicy() {
        FullHttpResponse r = assets.serve("", null);
        try {
            assertThat(r.status().code()).isEqualTo(200);
            assertThat(r.headers().get("Content-Type")).isEqualTo("text/html; charset=utf-8");
            assertThat(r.headers().get("Content-Security-Policy")).contains("default-src 'none'").contains("script-src 'self'")
                    .doesNotContain("unsafe-inline").doesNotContain("unsafe-eval");
            assertThat(r.headers().get("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(r.headers().get("Cache-Control")).isEqualTo("no-cache");
            String html = r.content().toString(StandardCharsets.UTF_8);
            assertThat(html).contains("<script type=\"module\" src=\"js/main.js\"></script>");
            assertThat(html.replace("<script type=\"module\" src=\"js/main.js\"></script>", ""))
                    .as("no inline script").doesNotContain("<script");
            assertThat(html).doesNotContain("style=");
        } finally {
            r.release();
        }
    }

    @Test
    void scriptsAndStylesCarryTheirTypes() {
        assertThat(assets.serve("js/main.js", null).headers().get("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(assets.serve("js/pages/overview.js", null).headers().get("Content-Type")).startsWith("text/javascript");
        assertThat(assets.serve("app.css", null).headers().get("Content-Type")).isEqualTo("text/css; charset=utf-8");
    }

    @Test
    void anUnchangedFileIsAnswered304ByItsEtag() {
        String etag = assets.serve("app.css", null).headers().get("ETag");
        assertThat(etag).matches("\"[0-9a-f]{32}\"");
        FullHttpResponse again = assets.serve("app.css", etag);
        assertThat(again.status().code()).isEqualTo(304);
        assertThat(again.content().readableBytes()).isZero();
        assertThat(again.headers().get("ETag")).isEqualTo(etag);
        assertThat(assets.serve("app.css", "\"0000\"").status().code()).isEqualTo(200);
    }

    @Test
    void pathsOutsideTheConsoleOrOfUnknownTypesAreNotFound() {
        for (String path : new String[] {"../logback.xml", "..%2flogback.xml", "js/../app.css", "/etc/passwd", "missing.js",
                "logback.xml", "js/Main.js", "app.css/"}) {
            assertThatThrownBy(() -> assets.serve(path, null)).as(path).isInstanceOf(RegistryException.class)
                    .satisfies(e -> assertThat(((RegistryException) e).status()).isEqualTo(404));
        }
    }

    @Test
    void withoutItsSlashTheConsoleRedirects() {
        FullHttpResponse r = assets.serve(null, null);
        assertThat(r.status().code()).isEqualTo(302);
        assertThat(r.headers().get("Location")).isEqualTo("/ui/");
        assertThat(ConsoleAssets.redirectToConsole().headers().get("Location")).isEqualTo("/ui/");
    }
}
