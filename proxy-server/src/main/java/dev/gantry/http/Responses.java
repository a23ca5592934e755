package dev.gantry.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.oci.ErrorCode;
import dev.gantry.oci.RegistryException;
import dev.gantry.registry.Repository;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * What several endpoint classes and the route table build the same way: JSON
 * bodies, decoded path parts and the read-only refusal. Here so that no
 * endpoint class calls another's helpers.
 */
final class Responses {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Responses() {
    }

    /** {@code body} as {@code application/json}, with its length. */
    static FullHttpResponse json(HttpResponseStatus status, Object body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                .set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return response;
    }

    /** A percent-encoded path part (a repository name, a tag or digest), decoded. */
    static String decode(String raw) {
        return QueryStringDecoder.decodeComponent(raw);
    }

    /** The refusal of a write to a mirrored (pull-through) namespace. */
    static RegistryException readOnly(Repository repo) {
        return new RegistryException(ErrorCode.UNSUPPORTED, repo.requestedName() + " is mirrored read-only from "
                + repo.namespace() + "; pushes go to hosted namespaces");
    }
}
