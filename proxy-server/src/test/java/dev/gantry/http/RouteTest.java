package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RouteTest {

    private static final String DIGEST = "sha256:" + "a".repeat(64);

    @Test
    void splitsNameAndReference() {
        assertThat(Route.parse("/v2/library/alpine/manifests/3.19"))
                .isEqualTo(new Route(Route.Kind.MANIFEST, "library/alpine", "3.19"));
        assertThat(Route.parse("/v2/a/b/c/blobs/" + DIGEST)).isEqualTo(new Route(Route.Kind.BLOB, "a/b/c", DIGEST));
        assertThat(Route.parse("/v2/docker.io/library/alpine/tags/list")).isEqualTo(new Route(Route.Kind.TAGS, "docker.io/library/alpine", null));
        assertThat(Route.parse("/v2/x/blobs/uploads/")).isEqualTo(new Route(Route.Kind.BLOB_UPLOAD, "x", ""));
        assertThat(Route.parse("/v2/x/blobs/uploads/abc")).isEqualTo(new Route(Route.Kind.UPLOAD_SESSION, "x", "abc"));
        assertThat(Route.parse("/v2/x/blobs/uploads/abc").label()).isEqualTo("blob_upload");
        assertThat(Route.parse("/v2/x/referrers/" + DIGEST).kind()).isEqualTo(Route.Kind.REFERRERS);
    }

    @Test
    void theFleetsPeerChannelServesBlobsManifestsAndNewsOnly() {
        assertThat(Route.parse("/v2/_gantry/fleet/library/alpine/blobs/" + DIGEST))
                .isEqualTo(new Route(Route.Kind.PEER_BLOB, "library/alpine", DIGEST));
        assertThat(Route.parse("/v2/_gantry/fleet/library/alpine/manifests/3.19"))
                .isEqualTo(new Route(Route.Kind.PEER_MANIFEST, "library/alpine", "3.19"));
        assertThat(Route.parse("/v2/_gantry/fleet/news")).isEqualTo(new Route(Route.Kind.PEER_NEWS, null, null));
        assertThat(Route.parse("/v2/_gantry/fleet/news").label()).isEqualTo("fleet");
        assertThat(Route.parse("/v2/_gantry/fleet/library/alpine/tags/list").kind()).isEqualTo(Route.Kind.UNKNOWN);
        assertThat(Route.parse("/v2/_gantry/fleet/x/blobs/uploads/").kind()).isEqualTo(Route.Kind.UNKNOWN);
        assertThat(Route.parse("/v2/_gantry/fleet/_gantry/pins").kind()).isEqualTo(Route.Kind.UNKNOWN);
    }

    @Test
    void aRepositoryMayBeCalledLikeAnEndpoint() {
        assertThat(Route.parse("/v2/manifests/manifests/latest")).isEqualTo(new Route(Route.Kind.MANIFEST, "manifests", "latest"));
        assertThat(Route.parse("/v2/blobs/blobs/" + DIGEST)).isEqualTo(new Route(Route.Kind.BLOB, "blobs", DIGEST));
        assertThat(Route.parse("/v2/a/manifests/x/blobs/" + DIGEST)).isEqualTo(new Route(Route.Kind.BLOB, "a/manifests/x", DIGEST));
    }

    @Test
    void theReferenceIsTheLastSegmentAndTheNameIsNeverEmpty() {
        assertThat(Route.parse("/v2//manifests/x").kind()).isEqualTo(Route.Kind.UNKNOWN);
        assertThat(Route.parse("/v2/manifests/x").kind()).isEqualTo(Route.Kind.UNKNOWN);
        assertThat(Route.parse("/v2/a/manifests/x/y").kind()).isEqualTo(Route.Kind.UNKNOWN);
        assertThat(Route.parse("/v2/a/blobs/").kind()).isEqualTo(Route.Kind.UNKNOWN);
        assertThat(Route.parse("/v2/a\nb/blobs/" + DIGEST).kind()).isEqualTo(Route.Kind.UNKNOWN);
    }

    @Test
    void theRootAndTheConsoleAreTheirOwnRoutes() {
        assertThat(Route.parse("/")).isEqualTo(new Route(Route.Kind.ROOT, null, null));
        assertThat(Route.parse("/ui")).isEqualTo(new Route(Route.Kind.CONSOLE, null, null));
        assertThat(Route.parse("/ui/")).isEqualTo(new Route(Route.Kind.CONSOLE, null, ""));
        assertThat(Route.parse("/ui/js/pages/image.js")).isEqualTo(new Route(Route.Kind.CONSOLE, null, "js/pages/image.js"));
        assertThat(Route.parse("/uix").kind()).isEqualTo(Route.Kind.UNKNOWN);
    }

    @Test
    void knowsTheFixedEndpoints() {
        assertThat(Route.parse("/v2/").kind()).isEqualTo(Route.Kind.BASE);
        assertThat(Route.parse("/v2").kind()).isEqualTo(Route.Kind.BASE);
        assertThat(Route.parse("/v2/_catalog").kind()).isEqualTo(Route.Kind.CATALOG);
        assertThat(Route.parse("/v2/_gantry/search").kind()).isEqualTo(Route.Kind.SEARCH);
        assertThat(Route.parse("/healthz").kind()).isEqualTo(Route.Kind.HEALTH);
        assertThat(Route.parse("/readyz").kind()).isEqualTo(Route.Kind.READY);
        assertThat(Route.parse("/etc/passwd").kind()).isEqualTo(Route.Kind.UNKNOWN);
        assertThat(Route.parse("/v2/x/manifests/").kind()).isEqualTo(Route.Kind.UNKNOWN);
    }

    @Test
    void leavesPercentEncodingForNameValidationToReject() {
        assertThat(Route.parse("/v2/a/%2e%2e/manifests/x").name()).isEqualTo("a/%2e%2e");
    }

    @Test
    void theAdminApiHasItsOwnRoutesAndLeavesRepositoriesAndOtherExtensionsAlone() {
        assertThat(Route.parse("/v2/_gantry/cache/repositories"))
                .isEqualTo(new Route(Route.Kind.ADMIN_REPOSITORIES, null, "cache/repositories"));
        assertThat(Route.parse("/v2/_gantry/cache/repositories/library/nginx"))
                .isEqualTo(new Route(Route.Kind.ADMIN_REPOSITORY, null, "cache/repositories/library/nginx"));
        assertThat(Route.parse("/v2/_gantry/cache/library/nginx/manifests/1.25"))
                .isEqualTo(new Route(Route.Kind.ADMIN_CACHE, null, "cache/library/nginx/manifests/1.25"));
        assertThat(Route.parse("/v2/_gantry/pins")).isEqualTo(new Route(Route.Kind.ADMIN_PINS, null, "pins"));
        assertThat(Route.parse("/v2/_gantry/pins/library/nginx:1.25").kind()).isEqualTo(Route.Kind.ADMIN_PIN);
        assertThat(Route.parse("/v2/_gantry/warm")).isEqualTo(new Route(Route.Kind.ADMIN_WARM, null, "warm"));
        assertThat(Route.parse("/v2/_gantry/warm/abc")).isEqualTo(new Route(Route.Kind.ADMIN_WARM_JOB, null, "warm/abc"));
        assertThat(Route.parse("/v2/_gantry/warm/abc").label()).isEqualTo("admin");
        assertThat(Route.parse("/v2/_gantry/status").kind()).isEqualTo(Route.Kind.STATUS);
        assertThat(Route.parse("/v2/_gantry/warmer").kind().admin()).isFalse();
        assertThat(Route.parse("/v2/cache/manifests/1")).isEqualTo(new Route(Route.Kind.MANIFEST, "cache", "1"));
        assertThat(Route.parse("/v2/library/pins/_gantry/hardware/1")).isEqualTo(new Route(Route.Kind.HARDWARE, "library/pins", "1"));
    }

    @Test
    void theHardwareExtensionsEndpointsAreTheirOwnRoutes() {
        assertThat(Route.parse("/v2/a/b/_gantry/manifests/1.0")).isEqualTo(new Route(Route.Kind.AUGMENTED_MANIFEST, "a/b", "1.0"));
        assertThat(Route.parse("/v2/a/_gantry/check/" + DIGEST)).isEqualTo(new Route(Route.Kind.HARDWARE_CHECK, "a", DIGEST));
        assertThat(Route.parse("/v2/a/_oci/ext/discover")).isEqualTo(new Route(Route.Kind.EXTENSION_DISCOVER, "a", null));
        assertThat(Route.parse("/v2/a/_gantry/nonsense/1")).isEqualTo(new Route(Route.Kind.EXTENSION, "a", null));
        assertThat(Route.parse("/v2/a/_gantry/hardware")).isEqualTo(new Route(Route.Kind.EXTENSION, "a", null));
        assertThat(Route.parse("/v2/a/_other/x/1")).isEqualTo(new Route(Route.Kind.EXTENSION, "a", null));
        assertThat(Route.parse("/v2/a/_gantry/check/1").label()).isEqualTo("extension");
    }
}
