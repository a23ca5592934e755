package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.GantryServer;
import dev.gantry.testing.MutableClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/1.1 requests sent back to back on one connection are answered in order. */
class PipeliningTest {

    @TempDir
    Path tmp;

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws IOException {
        try (GantryServer gantry = GantryServer.mirroring("http://127.0.0.1:9", tmp, MutableClock.startingNow());
             Socket s = new Socket("127.0.0.1", gantry.gantry().address().getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /v2/Bad/manifests/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            int ok = all.indexOf("{\"status\":\"ok\"}");
            int bad = all.indexOf("NAME_INVALID");
            int ready = all.indexOf("{\"status\":\"ready\"}");
            assertThat(ok).isGreaterThan(0);
            assertThat(bad).isGreaterThan(ok);
            assertThat(ready).isGreaterThan(bad);
            assertThat(all.split("HTTP/1.1 ", -1)).hasSize(4);
        }
    }
}
