/**
 * The HTTP front end on Netty. {@code HttpServer} binds and drains;
 * {@code RequestHandler} takes a connection's requests in turn;
 * {@code Routes} is the whole surface as rows of a {@code RouteTable}
 * (route kind × method → required access, handler), and {@code RouteGuard}
 * applies each row's read-only and access policy ({@code AuthGate}) once,
 * before its handler. An {@code Exchange} is the request; its
 * {@code ResponseWriter} sends the response (buffers, or a head and a body
 * the {@code BodyWriter} sends as zero-copy file regions, chunked files,
 * growing spools or streams), after which {@code ExchangeRecorder} logs and
 * counts it and {@code KeepAlive} keeps or closes the connection. Errors
 * become OCI error bodies in one place ({@code ErrorResponses}).
 *
 * <p>Sees the registry services and the hardware service, never a storage
 * tier or the upstream client; no class but {@code HttpServer} knows the
 * server (both checked by {@code LayeringTest}).
 */
package dev.gantry.http;
