package dev.gantry.http;

import dev.gantry.content.BufferContent;
import dev.gantry.content.Content;
import dev.gantry.registry.BlobResult;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * A {@code 206} answer to a request for several ranges of a blob: a
 * {@code multipart/byteranges} body (RFC 9110 §14.6), one part per range,
 * each with its own {@code Content-Type} and {@code Content-Range}:
 * <pre>
 * --BOUNDARY CRLF
 * Content-Type: application/octet-stream CRLF
 * Content-Range: bytes 0-9/1000 CRLF
 * CRLF
 * (ten bytes) CRLF
 * --BOUNDARY CRLF
 * ...
 * (last part's bytes) CRLF
 * --BOUNDARY-- CRLF
 * </pre>
 * The length is known in advance, so the body goes out with
 * {@code Content-Length}, each range read from its tier in turn.
 */
final class MultipartByteRanges implements PartSequence {

    private static final String PART_TYPE = "application/octet-stream";

    private final BlobResult blob;
    private final List<ByteRange> ranges;
    private final String boundary;
    private Content firstRange;
    /** Even: the delimiter and headers of part step/2; odd: its bytes; 2n: the closing delimiter. */
    private int step;

    private MultipartByteRanges(BlobResult blob, List<ByteRange> ranges, String boundary, Content firstRange) {
        this.blob = blob;
        this.ranges = ranges;
        this.boundary = boundary;
        this.firstRange = firstRange;
    }

    /**
     * Answers {@code ex} with the {@code ranges} of {@code blob}. The first
     * range is opened before anything is sent, so a blob that cannot be read
     * (a fill that failed verification) is an error response, never a 206
     * cut short. {@code headers} are copied onto the response.
     */
    static void send(Exchange ex, BlobResult blob, List<ByteRange> ranges, HttpHeaders headers) {
        String boundary = "gantry-" + UUID.randomUUID().toString().replace("-", "");
        ByteRange first = ranges.get(0);
        blob.open(first.start(), first.length()).whenComplete((content, error) -> {
            if (error != null) {
                ex.fail(error);
                return;
            }
            MultipartByteRanges body = new MultipartByteRanges(blob, ranges, boundary, content);
            HttpResponse response = ResponseWriter.head(HttpResponseStatus.PARTIAL_CONTENT, body.contentLength(),
                    "multipart/byteranges; boundary=" + boundary);
            response.headers().add(headers);
            ex.respond(response, body);
        });
    }

    long contentLength() {
        long n = delimiter(ranges.size()).length;
        for (int i = 0; i < ranges.size(); i++) {
            n += delimiter(i).length + ranges.get(i).length();
        }
        return n;
    }

    /** The bytes before part {@code i}, or the closing delimiter for {@code i == ranges.size()}. */
    private byte[] delimiter(int i) {
        StringBuilder b = new StringBuilder();
        if (i > 0) {
            b.append("\r\n"); // ends the previous part's bytes
        }
        b.append("--").append(boundary);
        if (i == ranges.size()) {
            b.append("--\r\n");
        } else {
            b.append("\r\nContent-Type: ").append(PART_TYPE)
                    .append("\r\nContent-Range: ").append(ranges.get(i).contentRange(blob.size()))
                    .append("\r\n\r\n");
        }
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public CompletableFuture<Content> next() {
        int s = step++;
        if (s > 2 * ranges.size()) {
            return null;
        }
        if (s % 2 == 0) {
            return CompletableFuture.completedFuture(new BufferContent(Unpooled.wrappedBuffer(delimiter(s / 2))));
        }
        if (s == 1) {
            Content c = firstRange;
            firstRange = null;
            return CompletableFuture.completedFuture(c);
        }
        ByteRange r = ranges.get(s / 2);
        return blob.open(r.start(), r.length());
    }

    @Override
    public void close() {
        Content c = firstRange;
        firstRange = null;
        if (c != null) {
            c.close();
        }
    }
}
