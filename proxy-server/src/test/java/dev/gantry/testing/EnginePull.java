package dev.gantry.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.oci.Digest;
import dev.gantry.oci.MediaTypes;

/**
 * Pulls an image through a registry the way an engine does: the manifest by
 * tag, accepting every manifest type, then every blob; asserts that each
 * answer is the image's own bytes.
 */
public final class EnginePull {

    public static final String ACCEPT_ALL = String.join(", ", MediaTypes.MANIFEST_TYPES);

    private EnginePull() {
    }

    /** Returns the digest the registry named for the manifest. */
    public static String pull(Http http, String repo, String tag, TestImage image) {
        Http.Response m = http.get("/v2/" + repo + "/manifests/" + tag, "Accept", ACCEPT_ALL);
        assertThat(m.status()).as("manifest %s:%s: %s", repo, tag, m.text()).isEqualTo(200);
        assertThat(m.body()).as("manifest %s:%s", repo, tag).isEqualTo(image.manifest().bytes());
        for (TestImage.Blob b : image.blobs()) {
            Http.Response blob = http.get("/v2/" + repo + "/blobs/" + b.digest());
            assertThat(blob.status()).as("blob %s: %s", b.digest(), blob.status() == 200 ? "" : blob.text()).isEqualTo(200);
            assertThat(Digest.sha256(blob.body())).isEqualTo(b.digest());
        }
        return m.header("Docker-Content-Digest");
    }
}
