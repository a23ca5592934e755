package dev.gantry.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place failures become HTTP responses: an OCI error body
 * {@code {"errors":[{"code","message"}]}} (no {@code detail}: it is optional, and
 * clients disagree on its type) with the code's status and
 * any headers the failure carries. Anything that is not a
 * {@link RegistryException} is a bug: it is logged with its stack trace and
 * answered 500 {@code UNKNOWN}, without internals in the body.
 */
final class ErrorResponses {

    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorResponses() {
    }

    /** Unwraps completion wrappers to the failure that matters. */
    static Throwable cause(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The response for {@code failure}; {@code head} leaves the body out. */
    static FullHttpResponse of(Throwable failure, boolean head, ByteBufAllocator alloc, String requestLine) {
        Throwable t = cause(failure);
        RegistryException e;
        if (t instanceof RegistryException r) {
            e = r;
        } else {
            log.error("internal error serving {}", requestLine, t);
            return build(500, "UNKNOWN", "internal error; see the server log", Map.of(), head, alloc);
        }
        return build(e.status(), e.code().name(), e.getMessage(), e.headers(), head, alloc);
    }

    /**
     * The response to a request the HTTP decoder could not read: 414 for a
     * request line over the limit, 431 for a header block over it, else 400.
     */
    static FullHttpResponse malformed(Throwable cause, boolean head, ByteBufAllocator alloc) {
        if (cause instanceof TooLongHttpLineException) {
            return of(ErrorCode.UNSUPPORTED, 414, "request line too long (URI Too Long): " + cause.getMessage(), head, alloc);
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return of(ErrorCode.UNSUPPORTED, 431, "request header fields too large: " + cause.getMessage(), head, alloc);
        }
        return of(ErrorCode.UNSUPPORTED, 400, "malformed request: " + cause.getMessage(), head, alloc);
    }

    static FullHttpResponse of(ErrorCode code, int status, String message, boolean head, ByteBufAllocator alloc) {
        return build(status, code.name(), message, Map.of(), head, alloc);
    }

    private static FullHttpResponse build(int status, String code, String message, Map<String, String> headers,
                                          boolean head, ByteBufAllocator alloc) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message == null ? code : message);
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(Map.of("errors", List.of(error)));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException(impossible);
        }
        ByteBuf content = head ? alloc.buffer(0) : alloc.buffer(body.length).writeBytes(body);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
        headers.forEach((k, v) -> response.headers().set(k, v));
        return response;
    }
}
