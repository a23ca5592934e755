/**
 * The Netty event loops and channel types (epoll where available) shared by
 * the HTTP server and the upstream client.
 */
package dev.gantry.net;
