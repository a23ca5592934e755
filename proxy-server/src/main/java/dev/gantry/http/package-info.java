/**
 * The HTTP front end on Netty: connections, pipelining, routing of the
 * distribution API and the {@code _gantry} extension, authentication at the
 * edge, request bodies, the four ways of sending (zero-copy file regions,
 * chunked files, buffers, growing spools), byte ranges, access logs and the
 * one place errors become OCI error bodies ({@code ErrorResponses}).
 *
 * <p>Sees the registry services and the hardware service, never a storage
 * tier or the upstream client (checked by {@code LayeringTest}).
 */
package dev.gantry.http;
