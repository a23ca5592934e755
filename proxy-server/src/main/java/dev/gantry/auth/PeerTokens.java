package dev.gantry.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Credentials one replica of a fleet presents to another on the peer
 * channel: {@code Gantry-Peer <expiry>.<mac>}, where {@code mac} is an
 * HMAC-SHA256 of the expiry (epoch seconds), the request's method and its
 * target (path and query, as on the request line) under a secret derived from
 * the fleet's shared token keys ({@code auth.tokenKeys}). Every replica that
 * mounts the same keys derives the same secrets; the first signs, all verify,
 * so a key rotation keeps the overlap that tokens have. A credential is good
 * for {@link #LIFETIME} (plus as much clock skew), and for that one request
 * only: one seen on the wire (the channel is plain HTTP without TLS) reads
 * nothing but what it was made for. Thread-safe.
 */
public final class PeerTokens {

    /** The scheme of the {@code Authorization} header. */
    public static final String SCHEME = "Gantry-Peer";
    static final Duration LIFETIME = Duration.ofSeconds(60);
    private static final byte[] LABEL = "gantry fleet peer v1\0".getBytes(StandardCharsets.UTF_8);

    private final List<byte[]> secrets;
    private final Clock clock;

    /** @param keyMaterial one entry per shared key, the signing key's first (e.g. the encoded private keys) */
    public PeerTokens(List<byte[]> keyMaterial, Clock clock) {
        if (keyMaterial.isEmpty()) {
            throw new IllegalArgumentException("no key material");
        }
        this.secrets = keyMaterial.stream().map(PeerTokens::derive).toList();
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The peer channel's secrets for the keys of {@code keys}. */
    public static PeerTokens of(TokenKeys keys, Clock clock) {
        return new PeerTokens(keys.privateKeyMaterial(), clock);
    }

    /**
     * A fresh {@code Authorization} header value for one request.
     *
     * @param target the path and query exactly as the request line carries them
     */
    public String authorization(String method, String target) {
        long expiry = clock.instant().plus(LIFETIME).getEpochSecond();
        return SCHEME + " " + expiry + "." + mac(secrets.get(0), expiry, method, target);
    }

    /** Whether {@code authorization} is a current credential of this fleet, made for this request. */
    public boolean verify(String authorization, String method, String target) {
        if (authorization == null || !authorization.startsWith(SCHEME + " ")) {
            return false;
        }
        String value = authorization.substring(SCHEME.length() + 1).trim();
        int dot = value.indexOf('.');
        long expiry;
        try {
            expiry = Long.parseLong(value.substring(0, Math.max(dot, 0)));
        } catch (NumberFormatException e) {
            return false;
        }
        long now = clock.instant().getEpochSecond();
        // Not expired, and not issued further ahead than one lifetime of clock skew allows.
        if (expiry < now || expiry > now + 2 * LIFETIME.toSeconds()) {
            return false;
        }
        byte[] presented = value.substring(dot + 1).getBytes(StandardCharsets.US_ASCII);
        for (byte[] s : secrets) {
            if (MessageDigest.isEqual(presented, mac(s, expiry, method, target).getBytes(StandardCharsets.US_ASCII))) {
                return true;
            }
        }
        return false;
    }

    private static byte[] derive(byte[] material) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(LABEL);
            return sha.digest(material);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static String mac(byte[] secret, long expiry, String method, String target) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            // Newline-separated: a method or a request target never holds one.
            byte[] out = mac.doFinal((expiry + "\n" + method + "\n" + target).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }
}
