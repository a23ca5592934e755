package dev.gantry.upstream;

/** What an upstream request is for: Docker Hub counts only {@link #MANIFEST_GET} as a pull. */
public enum RequestKind {
    MANIFEST_GET, MANIFEST_HEAD, BLOB_GET, BLOB_HEAD, TAGS, REFERRERS, TOKEN
}
