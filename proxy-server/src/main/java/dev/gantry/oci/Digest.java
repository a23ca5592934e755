package dev.gantry.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code algorithm ":" encoded}, as defined by the OCI image
 * specification. Only {@code sha256} and {@code sha512} are accepted: they are
 * the algorithms the distribution spec names, and a registry that cannot verify
 * a digest must not claim to serve it.
 *
 * <p>Instances are immutable and always valid; {@link #parse} is the only way in
 * from untrusted text. The encoded part is lower-case hex of the exact length of
 * the algorithm, so it is safe to use as a file name.
 */
public final class Digest implements Comparable<Digest> {

    private static final Pattern GRAMMAR =
            Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
    private static final Pattern HEX = Pattern.compile("[a-f0-9]+");

    private final String algorithm;
    private final String hex;
    /** {@code algorithm:hex}, made once: digests are keys and header values on every request. */
    private final String text;

    private Digest(String algorithm, String hex) {
        this.algorithm = algorithm;
        this.hex = hex;
        this.text = algorithm + ":" + hex;
    }

    /**
     * Parses a digest string.
     *
     * @throws RegistryException {@code DIGEST_INVALID} when the text is not a
     *     digest, or uses an algorithm Gantry cannot verify
     */
    public static Digest parse(String text) {
        // The common case, a canonical sha256 digest, without the regular expressions.
        if (text != null && text.length() == 7 + 64 && text.startsWith("sha256:") && isLowerHex(text, 7)) {
            return new Digest("sha256", text.substring(7));
        }
        if (text == null || text.length() > 256 || !GRAMMAR.matcher(text).matches()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "invalid digest: " + printable(text));
        }
        int colon = text.indexOf(':');
        String algorithm = text.substring(0, colon);
        String encoded = text.substring(colon + 1);
        int expected = switch (algorithm) {
            case "sha256" -> 64;
            case "sha512" -> 128;
            default -> throw new RegistryException(ErrorCode.DIGEST_INVALID,
                    "unsupported digest algorithm '" + printable(algorithm) + "' (supported: sha256, sha512)");
        };
        if (encoded.length() != expected || !HEX.matcher(encoded).matches()) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID,
                    "invalid " + algorithm + " digest: expected " + expected + " lower-case hex characters");
        }
        return new Digest(algorithm, encoded);
    }

    private static boolean isLowerHex(String s, int from) {
        for (int i = from; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    /** Returns true when {@code text} parses as a digest (any supported algorithm). */
    public static boolean isDigest(String text) {
        try {
            parse(text);
            return true;
        } catch (RegistryException e) {
            return false;
        }
    }

    /** The sha256 digest of {@code bytes}. */
    public static Digest sha256(byte[] bytes) {
        return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(bytes)));
    }

    /** Wraps a finished {@link MessageDigest} of this digest's algorithm. */
    public static Digest of(String algorithm, byte[] raw) {
        return parse(algorithm + ":" + HexFormat.of().formatHex(raw));
    }

    /** A new {@link MessageDigest} for this digest's algorithm. */
    public MessageDigest newMessageDigest() {
        try {
            return MessageDigest.getInstance(algorithm.equals("sha256") ? "SHA-256" : "SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without " + algorithm, e);
        }
    }

    /** Whether {@code bytes} hash to this digest. */
    public boolean matches(byte[] bytes) {
        return MessageDigest.isEqual(newMessageDigest().digest(bytes), HexFormat.of().parseHex(hex));
    }

    /** Whether a finished digest computation equals this digest. */
    public boolean matchesRaw(byte[] raw) {
        return MessageDigest.isEqual(raw, HexFormat.of().parseHex(hex));
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    public String algorithm() {
        return algorithm;
    }

    /** The encoded part: lower-case hex. */
    public String hex() {
        return hex;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Digest d && text.equals(d.text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public int compareTo(Digest o) {
        return text.compareTo(o.text);
    }

    @Override
    public String toString() {
        return text;
    }

    /** Text safe to echo in an error message: bounded and without control characters. */
    static String printable(String text) {
        if (text == null) {
            return "(none)";
        }
        String cut = text.length() > 80 ? text.substring(0, 80) + "…" : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
