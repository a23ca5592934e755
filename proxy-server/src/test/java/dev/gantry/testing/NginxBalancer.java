package dev.gantry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Debian's nginx as the load balancer an operator puts in front of several
 * replicas: round robin, no affinity of any kind, keep-alive to the
 * replicas, request and response bodies streamed (no buffering), nginx's
 * defaults otherwise (a replica that fails a connection is left out for 10 s;
 * an idempotent request whose replica fails before answering is tried on the
 * next). Binds 127.0.0.1 on a free port; everything under its directory;
 * stopped by its own process id.
 */
public final class NginxBalancer implements AutoCloseable {

    private final DaemonProcess process;
    private final int port;
    private final Path dir;

    private NginxBalancer(DaemonProcess process, int port, Path dir) {
        this.process = process;
        this.port = port;
        this.dir = dir;
    }

    /** @param backends the replicas' {@code host:port} */
    public static NginxBalancer start(Path dir, List<String> backends) {
        Path nginx = Tools.require("nginx");
        int port = Tools.freePort();
        try {
            Files.createDirectories(dir.resolve("tmp"));
            Path conf = dir.resolve("nginx.conf");
            Files.writeString(conf, """
                    daemon off;
                    master_process off;
                    worker_processes 1;
                    pid %1$s/nginx.pid;
                    error_log %1$s/error.log warn;
                    events { worker_connections 1024; }
                    http {
                        log_format balanced '$request_method $uri $status $upstream_addr';
                        access_log %1$s/access.log balanced;
                        client_body_temp_path %1$s/tmp;
                        proxy_temp_path %1$s/tmp;
                        upstream replicas {
                    %2$s
                            keepalive 32;
                        }
                        server {
                            listen 127.0.0.1:%3$d;
                            client_max_body_size 0;
                            location / {
                                proxy_pass http://replicas;
                                proxy_http_version 1.1;
                                proxy_set_header Connection "";
                                proxy_set_header Host $http_host;
                                proxy_buffering off;
                                proxy_request_buffering off;
                                proxy_read_timeout 60s;
                            }
                        }
                    }
                    """.formatted(dir.toAbsolutePath(),
                    backends.stream().map(b -> "        server " + b + ";").collect(Collectors.joining("\n")), port));
            DaemonProcess p = DaemonProcess.start("nginx", dir,
                    List.of(nginx.toString(), "-c", conf.toAbsolutePath().toString(), "-p", dir.toAbsolutePath().toString()), Map.of());
            NginxBalancer b = new NginxBalancer(p, port, dir);
            try {
                p.awaitReady(b::accepts, Duration.ofSeconds(20));
            } catch (RuntimeException | Error e) {
                p.close();
                throw e;
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean accepts() {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public String hostPort() {
        return "127.0.0.1:" + port;
    }

    public String url() {
        return "http://" + hostPort();
    }

    /** nginx's access log so far: {@code METHOD path status replica[, replica tried next...]} per request. */
    public List<String> accessLog() {
        try {
            Path log = dir.resolve("access.log");
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        process.close();
    }
}
