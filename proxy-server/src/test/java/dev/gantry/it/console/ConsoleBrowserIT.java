package dev.gantry.it.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.app.BuildInfo;
import dev.gantry.oci.MediaTypes;
import dev.gantry.testing.Awaits;
import dev.gantry.testing.Browser;
import dev.gantry.testing.DistributionRegistry;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.HtpasswdFile;
import dev.gantry.testing.Http;
import dev.gantry.testing.MutableClock;
import dev.gantry.testing.Pusher;
import dev.gantry.testing.TestImage;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The web console in a real browser (Debian's chromium through
 * chromium-driver) against a real upstream (Distribution) holding images the
 * scanner sees as needing an NVIDIA GPU, KVM, or nothing: log in, the
 * overview, an image page with its hardware and referrers, a check against a
 * host profile, and what each user may see. Every test fails on a page that
 * raised a JavaScript error.
 */
class ConsoleBrowserIT {

    static final String ALICE_PW = "alice-Console-1";
    static final String BOB_PW = "bob-Console-2";

    @TempDir
    static Path tmp;

    static DistributionRegistry upstream;
    static GantryServer gantry;
    static Http http;
    Browser browser;

    @BeforeAll
    static void start() throws Exception {
        upstream = DistributionRegistry.start(tmp.resolve("upstream"));
        Pusher pusher = new Pusher(upstream.url());
        pusher.push("test/gpu", "1", gpuImage(1));
        pusher.push("test/kvm", "1", TestImage.Index.of(List.of(kvmImage(2, "amd64"), kvmImage(3, "arm64")), false));
        pusher.push("test/plain", "1", TestImage.builder().seed(4)
                .rawLayer(TestImage.layerOf(Map.of("etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8)))).build());
        pusher.push("team/secret", "1", gpuImage(5));
        pusher.push("test/evictme", "1", TestImage.builder().seed(6)
                .rawLayer(TestImage.layerOf(Map.of("etc/issue", "bye\n".getBytes(StandardCharsets.UTF_8)))).build());
        Path htpasswd = HtpasswdFile.write(tmp.resolve("htpasswd"), Map.of("alice", ALICE_PW, "bob", BOB_PW));
        gantry = GantryServer.start("""
                upstreams:
                  - name: docker.io
                    url: %s
                    default: true
                auth:
                  htpasswd: %s
                  rules:
                    - {prefix: "", users: [alice], actions: [admin]}
                    - {prefix: docker.io/team/, users: [alice], actions: [pull]}
                prefetch: {mode: "off"}
                hardware: {waitBudget: 20s}
                """.formatted(upstream.url(), htpasswd), tmp.resolve("gantry"), MutableClock.startingNow());
        http = new Http(gantry.url());
        // Pull and scan once, so pages show a warm mirror and no test waits on the scanner.
        for (String image : List.of("test/gpu", "test/kvm", "test/plain", "test/evictme")) {
            assertThat(http.get("/v2/" + image + "/_gantry/hardware/1").status()).as(image).isEqualTo(200);
            http.get("/v2/" + image + "/manifests/1", "Accept", MediaTypes.OCI_MANIFEST + ", " + MediaTypes.OCI_INDEX);
        }
        assertThat(http.get("/v2/team/secret/_gantry/hardware/1", "Authorization", basic("alice", ALICE_PW)).status()).isEqualTo(200);
        http.get("/v2/team/secret/manifests/1", "Accept", MediaTypes.OCI_MANIFEST, "Authorization", basic("alice", ALICE_PW));
    }

    @AfterAll
    static void stop() {
        if (gantry != null) {
            gantry.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @BeforeEach
    void openBrowser() {
        browser = Browser.start(Browser.DESKTOP);
    }

    @AfterEach
    void closeBrowser() {
        try {
            assertThat(browser.errors()).as("errors in the browser's console").isEmpty();
        } finally {
            browser.close();
        }
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static TestImage gpuImage(long seed) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("usr/local/cuda/lib64/libcudart.so.12", random(4000, seed));
        return TestImage.builder().seed(seed).layer(20_000).rawLayer(TestImage.layerOf(files))
                .env(List.of("PATH=/usr/bin:/bin", "NVIDIA_REQUIRE_CUDA=cuda>=12.2", "NVIDIA_VISIBLE_DEVICES=all"))
                .config("Volumes", Map.of("/data", Map.of())).build();
    }

    static TestImage kvmImage(long seed, String arch) {
        return TestImage.builder().seed(seed).platform("linux", arch)
                .rawLayer(TestImage.layerOf(Map.of("usr/bin/qemu-system-x86_64", random(3000, seed)))).build();
    }

    static String imagePage(String repository, String reference) {
        return gantry.url() + "/ui/#/image/" + URLEncoder.encode(repository, StandardCharsets.UTF_8) + "/" + reference;
    }

    static Path profile(String name) throws Exception {
        return Path.of(ConsoleBrowserIT.class.getResource("/profiles/" + name + ".json").toURI());
    }

    void logIn(String user, String password) {
        browser.open(gantry.url() + "/ui/#/login");
        browser.visible(By.id("username")).sendKeys(user);
        browser.driver().findElement(By.id("password")).sendKeys(password);
        browser.driver().findElement(By.id("login-submit")).click();
        browser.text(By.id("user"), user);
    }

    @Test
    void theRootLeadsToTheConsoleWhichIsServedUnderAStrictPolicy() {
        Http.Response root = http.get("/");
        assertThat(root.status()).isEqualTo(302);
        assertThat(root.header("Location")).isEqualTo("/ui/");
        Http.Response index = http.get("/ui/");
        assertThat(index.status()).isEqualTo(200);
        assertThat(index.header("Content-Security-Policy")).contains("script-src 'self'");
        assertThat(http.get("/ui/js/main.js", "If-None-Match", index.header("ETag")).status()).as("another file's ETag").isEqualTo(200);
        assertThat(http.get("/ui/", "If-None-Match", index.header("ETag")).status()).isEqualTo(304);
        assertThat(http.get("/ui/nothing.js").status()).isEqualTo(404);
        // The browser follows the redirect and runs the console under that policy without a violation.
        browser.open(gantry.url() + "/");
        browser.text(By.cssSelector("h1"), "Overview");
        assertThat(browser.driver().getCurrentUrl()).startsWith(gantry.url() + "/ui/");
    }

    @Test
    void aUserLogsInAndSeesTheOverview() {
        browser.open(gantry.url() + "/");
        browser.visible(By.id("login-link")).click();
        browser.visible(By.id("username")).sendKeys("alice");
        browser.driver().findElement(By.id("password")).sendKeys(ALICE_PW);
        browser.driver().findElement(By.id("login-submit")).click();
        assertThat(browser.text(By.id("user"), "alice").getText()).isEqualTo("alice");
        assertThat(browser.driver().executeScript("return sessionStorage.getItem('gantry.token')")).as("the token, not the password")
                .isNotNull();
        assertThat(String.valueOf(browser.driver().executeScript("return JSON.stringify(sessionStorage)"))).doesNotContain(ALICE_PW);

        assertThat(browser.text(By.id("upstreams"), "docker.io").getText()).contains(upstream.url()).contains("budget").contains("resets in");
        assertThat(browser.visible(By.id("tiers")).getText()).contains("memory").contains("disk").contains("%");
        assertThat(browser.visible(By.id("saved")).getText()).matches("\\d+(\\.\\d)?[ \u00a0](B|KiB|MiB)");
        assertThat(browser.visible(By.id("charts")).getText()).contains("Cache hit ratio").contains("docker.io: budget left");
        assertThat(browser.text(By.id("commit"), BuildInfo.current().commit()).getText()).isEqualTo(BuildInfo.current().commit());
        assertThat(browser.driver().findElement(By.id("footer")).getText()).contains(BuildInfo.current().version());
    }

    @Test
    void aWrongPasswordIsRefusedAndNothingIsKept() {
        browser.open(gantry.url() + "/ui/#/login");
        browser.visible(By.id("username")).sendKeys("alice");
        browser.driver().findElement(By.id("password")).sendKeys("not-the-password");
        browser.driver().findElement(By.id("login-submit")).click();
        assertThat(browser.visible(By.cssSelector("#login-message .error")).getText()).isNotBlank();
        assertThat(browser.driver().executeScript("return sessionStorage.getItem('gantry.token')")).isNull();
        assertThat(browser.driver().findElement(By.id("who")).getText()).contains("anonymous");
    }

    @Test
    void theImagePageShowsPlatformsHardwareEvidenceAndReferrers() {
        browser.open(imagePage("test/kvm", "1"));
        assertThat(browser.text(By.id("platforms"), "linux/arm64").getText()).contains("linux/amd64");
        browser.text(By.id("hardware"), "Hardware of linux/arm64");
        assertThat(browser.driver().findElements(By.cssSelector(".hardware-classes")))
                .as("one document per platform").hasSize(2)
                .allSatisfy(e -> assertThat(e.getText()).contains("kvm"));

        browser.open(imagePage("test/gpu", "1"));
        assertThat(browser.text(By.cssSelector(".hardware-classes"), "gpu.nvidia").getText()).contains("gpu.nvidia required");
        assertThat(browser.driver().findElement(By.id("hardware")).getText()).contains("/dev/nvidiactl").contains("/data")
                .contains("nvidia.com/gpu=all").contains("Evidence (");
        assertThat(browser.driver().findElement(By.cssSelector(".evidence")).getAttribute("textContent")).contains("libcudart.so.12");
        browser.text(By.cssSelector(".referrers"), "Referrers (2)");
        assertThat(browser.driver().findElement(By.cssSelector(".referrers")).getText())
                .contains("application/vnd.gantry.hardware.v1+json").contains("application/vnd.nfd.image-compatibility.v1alpha1");
        assertThat(browser.visible(By.cssSelector(".nfd")).getAttribute("textContent")).as("the NFD spec itself")
                .contains("compatibilities").contains("10de");
    }

    @Test
    void aCheckAgainstAnUploadedOrPastedProfileGivesTheVerdictAndTheDockerRunFlags() throws Exception {
        browser.open(imagePage("test/gpu", "1"));
        browser.visible(By.id("profile-file")).sendKeys(profile("old-x86-host").toString());
        Awaits.until(() -> browser.driver().findElement(By.id("profile")).getAttribute("value").contains("cpuFlags"),
                Duration.ofSeconds(10), "the upload to fill the profile in");
        browser.driver().findElement(By.id("check-run")).click();
        assertThat(browser.text(By.id("verdict-value"), "will-fail").getText()).isEqualTo("will-fail");
        assertThat(browser.driver().findElement(By.id("reasons")).getText()).contains("gpu.nvidia");

        var box = browser.driver().findElement(By.id("profile"));
        box.clear();
        box.sendKeys(Files.readString(profile("gpu-host")));
        browser.driver().findElement(By.id("check-run")).click();
        assertThat(browser.text(By.id("verdict-value"), "runs").getText()).isEqualTo("runs");
        assertThat(browser.driver().findElement(By.id("docker-run")).getText())
                .startsWith("docker run ").contains("--gpus all").endsWith("/test/gpu:1");

        box.clear();
        box.sendKeys("not json");
        browser.driver().findElement(By.id("check-run")).click();
        assertThat(browser.visible(By.cssSelector("#verdict .error")).getText()).contains("not JSON");
    }

    /**
     * Each page at desktop and phone width, into {@code gantry.screenshots}
     * (the README's pictures: {@code -Dgantry.screenshots=../docs/console};
     * by default under target/). Each page is checked before it is taken.
     */
    @Test
    void screenshotsOfEveryPageAtDesktopAndPhoneWidth() throws Exception {
        String property = System.getProperty("gantry.screenshots");
        Path dir = Path.of(property != null ? property : "target/console-screenshots");
        if (property != null) {
            // For the README the charts should show something: a few samples (one per 10 s) of some traffic.
            for (int i = 0; i < 30; i++) {
                http.get("/v2/test/gpu/manifests/1", "Accept", MediaTypes.OCI_MANIFEST);
            }
            Awaits.until(() -> http.get("/v2/_gantry/status?history=1h").text().split("\"at\"").length > 3, Duration.ofSeconds(60),
                    "three samples of the status history");
        }
        Map<String, Runnable> pages = new LinkedHashMap<>();
        pages.put("login", () -> {
            browser.open(gantry.url() + "/ui/#/login");
            browser.visible(By.id("username"));
        });
        pages.put("overview", () -> {
            logIn("alice", ALICE_PW);
            browser.open(gantry.url() + "/ui/#/");
            browser.text(By.id("upstreams"), "docker.io");
            browser.visible(By.id("charts"));
        });
        pages.put("search", () -> {
            search("hardware", "gpu.nvidia");
            assertThat(results()).isNotEmpty();
        });
        pages.put("repositories", () -> {
            browser.open(gantry.url() + "/ui/#/repositories");
            browser.visible(By.id("repository-table"));
        });
        pages.put("image", () -> {
            browser.open(imagePage("test/gpu", "1"));
            browser.text(By.cssSelector(".referrers"), "Referrers (2)");
            WebElement box = browser.driver().findElement(By.id("profile"));
            box.clear();
            box.sendKeys(gpuHost());
            browser.driver().findElement(By.id("check-run")).click();
            browser.text(By.id("verdict-value"), "runs");
        });
        for (Dimension size : List.of(Browser.DESKTOP, Browser.PHONE)) {
            browser.resize(size);
            assertThat(browser.driver().executeScript("return window.innerWidth")).isEqualTo((long) size.width);
            String suffix = size.equals(Browser.DESKTOP) ? "desktop" : "phone";
            for (var page : pages.entrySet()) {
                page.getValue().run();
                browser.driver().executeScript("window.scrollTo(0, 0)");
                browser.screenshot(dir.resolve(page.getKey() + "-" + suffix + ".png"));
                assertThat(Files.size(dir.resolve(page.getKey() + "-" + suffix + ".png"))).isGreaterThan(5_000);
            }
            browser.driver().findElement(By.id("logout")).click();
        }
    }

    static String gpuHost() {
        try {
            return Files.readString(profile("gpu-host"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The repositories in a search's results table, as the console links them. */
    List<String> results() {
        browser.visible(By.id("results"));
        return browser.driver().findElements(By.cssSelector("#result-table .result-link")).stream().map(WebElement::getText).sorted().toList();
    }

    void search(String filter, String value) {
        browser.open(gantry.url() + "/ui/#/search");
        if (filter.equals("devices")) {
            browser.visible(By.id("f-devices")).click();
        } else {
            new Select(browser.visible(By.id("f-" + filter))).selectByValue(value);
        }
        browser.driver().findElement(By.id("search-run")).click();
        browser.visible(By.cssSelector("#results .card"));
    }

    /**
     * "Runs on this host": the console posts the pasted profile and lists what the search API
     * lists for it, each with its verdict; a profile that is not JSON is refused in the page.
     */
    @Test
    void runsOnThisHostListsWhatTheSearchApiListsForThatProfileWithVerdicts() throws Exception {
        String profile = Files.readString(profile("old-x86-host"));
        JsonNode expected = new ObjectMapper().readTree(http.send("POST", "/v2/_gantry/search",
                profile.getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json").body());
        List<String> images = new java.util.ArrayList<>();
        expected.path("results").forEach(r -> images.add(r.path("repository").asText() + ":"
                + (r.path("tags").size() > 0 ? r.path("tags").get(0).asText() : r.path("digest").asText())));
        assertThat(images).as("the API's answer: some images run there, the GPU one does not")
                .isNotEmpty().doesNotContain("docker.io/test/gpu:1");

        browser.open(gantry.url() + "/ui/#/search");
        browser.visible(By.id("f-profile")).sendKeys(profile);
        browser.driver().findElement(By.id("search-run")).click();
        browser.visible(By.cssSelector("#results .card"));
        assertThat(browser.driver().getCurrentUrl()).as("the profile stays out of the address").endsWith("#/search?host=1");
        assertThat(results()).containsExactlyInAnyOrderElementsOf(images);
        assertThat(browser.driver().findElements(By.cssSelector("#result-table td.verdict")))
                .extracting(WebElement::getText).hasSize(images.size()).allMatch(v -> v.equals("runs") || v.equals("runs-degraded"));

        browser.open(gantry.url() + "/ui/#/search");
        var box = browser.visible(By.id("f-profile"));
        box.clear();
        box.sendKeys("not json");
        browser.driver().findElement(By.id("search-run")).click();
        assertThat(browser.visible(By.cssSelector("#f-profile-problem .error")).getText()).contains("not JSON");
    }

    @Test
    void findsImagesByAHardwareFilterAndOpensOne() {
        search("hardware", "gpu.nvidia");
        assertThat(results()).as("anonymous").containsExactly("docker.io/test/gpu:1");
        search("devices", "none");
        assertThat(results()).containsExactly("docker.io/test/evictme:1", "docker.io/test/plain:1");
        assertThat(browser.driver().getCurrentUrl()).endsWith("#/search?devices=none");

        logIn("alice", ALICE_PW);
        search("hardware", "gpu.nvidia");
        assertThat(results()).as("alice may pull team/").containsExactly("docker.io/team/secret:1", "docker.io/test/gpu:1");
        assertThat(browser.driver().findElement(By.cssSelector("#results h2")).getText()).isEqualTo("2 images");
        search("arch", "arm64");
        assertThat(results()).containsExactly("docker.io/test/kvm:1");
        assertThat(browser.driver().findElement(By.id("result-table")).getText()).contains("linux/arm64").contains("kvm supported");

        search("hardware", "gpu.nvidia");
        browser.driver().findElements(By.cssSelector("#result-table .result-link")).stream()
                .filter(a -> a.getText().equals("docker.io/test/gpu:1")).findFirst().orElseThrow().click();
        assertThat(browser.text(By.cssSelector(".hardware-classes"), "gpu.nvidia").getText()).contains("gpu.nvidia required");
        assertThat(browser.driver().findElement(By.id("image-title")).getText()).isEqualTo("docker.io/test/gpu:1");
    }

    @Test
    void anAdministratorPinsAndEvictsFromTheRepositoriesPage() {
        logIn("alice", ALICE_PW);
        browser.open(gantry.url() + "/ui/#/repositories");
        WebElement row = browser.visible(By.cssSelector("tr[data-repository='docker.io/test/evictme']"));
        assertThat(browser.driver().findElement(By.id("repository-table")).getText())
                .contains("docker.io/test/gpu").contains("docker.io/test/kvm").contains("docker.io/team/secret");
        assertThat(row.getText()).contains("mirrored").contains("–");
        row.findElement(By.cssSelector(".repository-link")).click();

        browser.text(By.id("tag-table"), "1");
        browser.visible(By.cssSelector("tr[data-tag='1'] .pin")).click();
        assertThat(browser.text(By.id("action-done"), "pinned").getText()).isEqualTo("pinned docker.io/test/evictme:1");
        assertThat(browser.text(By.cssSelector("tr[data-tag='1'] .pin-state"), "pinned").getText()).isEqualTo("pinned (api)");
        assertThat(http.get("/v2/_gantry/pins", "Authorization", basic("alice", ALICE_PW)).text()).contains("docker.io/test/evictme:1");

        browser.driver().findElement(By.cssSelector("tr[data-tag='1'] .evict")).click();
        browser.driver().findElement(By.cssSelector("tr[data-tag='1'] .evict")).click();
        assertThat(browser.visible(By.cssSelector("#action-message .error")).getText()).as("a pinned image stays").contains("pinned");

        browser.driver().findElement(By.cssSelector("tr[data-tag='1'] .pin")).click();
        assertThat(browser.text(By.id("action-done"), "unpinned").getText()).isEqualTo("unpinned docker.io/test/evictme:1");
        browser.driver().findElement(By.cssSelector("tr[data-tag='1'] .evict")).click();
        browser.driver().findElement(By.cssSelector("tr[data-tag='1'] .evict")).click();
        assertThat(browser.text(By.id("action-done"), "evicted").getText()).isEqualTo("evicted docker.io/test/evictme:1");
        Awaits.until(() -> browser.driver().findElements(By.cssSelector("tr[data-tag='1']")).isEmpty(), Duration.ofSeconds(10),
                "the evicted tag to leave the page");
        assertThat(http.get("/v2/_gantry/cache/repositories/docker.io/test/evictme", "Authorization", basic("alice", ALICE_PW)).text())
                .doesNotContain("\"tag\":\"1\"");
        // The search lists what the cache holds: the evicted image leaves it, and is back once pulled again
        // (which the other tests, sharing this mirror, expect).
        assertThat(searchApi("devices=none")).doesNotContain("docker.io/test/evictme:1").contains("docker.io/test/plain:1");
        assertThat(http.get("/v2/test/evictme/manifests/1", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);
        Awaits.until(() -> searchApi("devices=none").contains("docker.io/test/evictme:1"), Duration.ofSeconds(30),
                "the image pulled again to be listed again");
    }

    /** What the search API lists for {@code query}, anonymously, as repository:tag. */
    private static List<String> searchApi(String query) {
        try {
            JsonNode answer = new ObjectMapper().readTree(http.get("/v2/_gantry/search?" + query).body());
            List<String> images = new java.util.ArrayList<>();
            answer.path("results").forEach(r -> r.path("tags").forEach(t -> images.add(r.path("repository").asText() + ":" + t.asText())));
            return images;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A link whose repository name climbs out of the admin path ('..' parts) is refused, not fetched and acted on. */
    @Test
    void aRepositoryLinkThatClimbsOutOfItsPathIsRefused() {
        logIn("alice", ALICE_PW);
        browser.open(gantry.url() + "/ui/#/repositories/..%2F..%2F..%2Fdocker.io%2Ftest%2Fevictme%2Fmanifests%2F1");
        assertThat(browser.visible(By.cssSelector("#repository .error")).getText()).contains("not a repository name");
        assertThat(browser.driver().findElements(By.cssSelector("#tag-table .pin"))).as("Pin buttons for it").isEmpty();
    }

    @Test
    void eachUserSeesOnlyWhatTheyMayPull() {
        browser.open(imagePage("team/secret", "1"));
        assertThat(browser.visible(By.cssSelector("#image-body .error")).getText()).as("anonymous").contains("team/secret");
        assertThat(browser.driver().findElements(By.id("hardware"))).isEmpty();

        logIn("bob", BOB_PW);
        browser.open(imagePage("team/secret", "1"));
        assertThat(browser.visible(By.cssSelector("#image-body .error")).getText()).as("bob").contains("bob may not pull");
        browser.open(gantry.url() + "/ui/#/repositories");
        assertThat(browser.visible(By.cssSelector("#repositories .error")).getText()).as("bob is no administrator").contains("bob");

        browser.driver().findElement(By.id("logout")).click();
        logIn("alice", ALICE_PW);
        browser.open(imagePage("team/secret", "1"));
        assertThat(browser.text(By.cssSelector(".hardware-classes"), "gpu.nvidia").getText()).contains("required");
    }
}
