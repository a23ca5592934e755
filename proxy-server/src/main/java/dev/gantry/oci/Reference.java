package dev.gantry.oci;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What follows {@code /manifests/}: a tag or a digest. Exactly one of
 * {@link #tag()} and {@link #digest()} is non-null.
 */
public final class Reference {

    private static final Pattern TAG = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    private final String tag;
    private final Digest digest;

    private Reference(String tag, Digest digest) {
        this.tag = tag;
        this.digest = digest;
    }

    /**
     * Parses a tag or digest.
     *
     * @throws RegistryException {@code DIGEST_INVALID} for a malformed digest;
     *     {@code MANIFEST_UNKNOWN} for a malformed tag (the spec has no tag error
     *     code, and no manifest can carry such a tag)
     */
    public static Reference parse(String text) {
        if (text != null && text.indexOf(':') >= 0) {
            return new Reference(null, Digest.parse(text));
        }
        if (text == null || !TAG.matcher(text).matches()) {
            throw new RegistryException(ErrorCode.MANIFEST_UNKNOWN,
                    "invalid tag '" + Digest.printable(text) + "': tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");
        }
        return new Reference(text, null);
    }

    public static Reference of(Digest digest) {
        return new Reference(null, Objects.requireNonNull(digest, "digest"));
    }

    public static boolean isValidTag(String text) {
        return text != null && TAG.matcher(text).matches();
    }

    public boolean isDigest() {
        return digest != null;
    }

    /** The tag, or null for a digest reference. */
    public String tag() {
        return tag;
    }

    /** The digest, or null for a tag reference. */
    public Digest digest() {
        return digest;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Reference r && Objects.equals(tag, r.tag) && Objects.equals(digest, r.digest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tag, digest);
    }

    @Override
    public String toString() {
        return digest != null ? digest.toString() : tag;
    }
}
