/**
 * Bodies: what a response sends ({@code Content}: a file range, bytes in
 * memory, a growing spool, a stream from a remote tier) and what a request or
 * an upstream response delivers ({@code ByteStream}, {@code BodyConsumer}).
 * Reference counting and zero-copy live here, so the HTTP layer and the
 * registry agree on who releases what.
 *
 * <p>Depends on Netty buffers only; used by {@code http}, {@code registry},
 * {@code storage} and {@code upstream}.
 */
package dev.gantry.content;
