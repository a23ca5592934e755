package dev.gantry.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.http.Route.Kind;
import dev.gantry.http.RouteTable.Row;
import dev.gantry.http.RouteTable.Target;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Reads Gantry's route table as built for a server (with and without the
 * hardware extension): every route has a row with an access requirement,
 * every write and every admin route needs authentication, and a method a
 * route does not answer is refused with the methods it does.
 */
class RouteTableTest {

    /** Kinds whose non-read methods write a repository's content. */
    private static final Set<Kind> CONTENT = EnumSet.of(Kind.MANIFEST, Kind.BLOB, Kind.BLOB_UPLOAD, Kind.UPLOAD_SESSION);
    private static final Set<String> READS = Set.of("GET", "HEAD");

    /** The handlers are never called here: the endpoints behind them need no services. */
    private static RouteTable table(boolean hardware) {
        return Routes.table(null, null, null, null, null, null,
                hardware ? new HardwareEndpoints(null, Duration.ZERO) : null, hardware ? new SearchEndpoint(null, null) : null);
    }

    private static List<Row> rows(RouteTable t) {
        return t.entries().stream().flatMap(e -> e.rows().stream()).toList();
    }

    @Test
    void everyKindOfPathHasAnEntry() {
        for (boolean hardware : new boolean[] {true, false}) {
            RouteTable t = table(hardware);
            for (Kind k : Kind.values()) {
                if (k == Kind.UNKNOWN) {
                    assertThat(t.entry(k)).as("UNKNOWN is 404: no entry").isNull();
                } else {
                    assertThat(t.entry(k)).as("%s (hardware %s)", k, hardware).isNotNull();
                }
            }
        }
    }

    @Test
    void everyRowNamesARequirementAndAHandler() {
        List<Row> rows = rows(table(true));
        assertThat(rows).hasSizeGreaterThan(30);
        for (Row r : rows) {
            assertThat(r.requirement()).as("%s %s", r.method(), r.kind()).isNotNull();
            assertThat(r.handler()).as("%s %s", r.method(), r.kind()).isNotNull();
        }
    }

    @Test
    void everyAdminRouteNeedsTheAdminAction() {
        List<Row> admin = rows(table(true)).stream().filter(r -> r.kind().admin()).toList();
        assertThat(admin).extracting(Row::kind).contains(Kind.ADMIN_REPOSITORIES, Kind.ADMIN_CACHE, Kind.ADMIN_PINS, Kind.ADMIN_WARM);
        for (Row r : admin) {
            assertThat(r.requirement()).as("%s %s", r.method(), r.kind()).isEqualTo(Requirement.ADMIN);
            assertThat(r.requirement().authenticates()).isTrue();
        }
    }

    @Test
    void everyRouteOfTheFleetsPeerChannelNeedsThePeerCredential() {
        List<Row> peer = rows(table(true)).stream().filter(r -> r.kind().label().equals("fleet")).toList();
        assertThat(peer).extracting(Row::kind).contains(Kind.PEER_BLOB, Kind.PEER_MANIFEST, Kind.PEER_NEWS);
        for (Row r : peer) {
            assertThat(r.requirement()).as("%s %s", r.method(), r.kind()).isEqualTo(Requirement.PEER);
            assertThat(r.requirement().authenticates()).isTrue();
        }
    }

    @Test
    void noWriteIsAnonymousAndEveryUploadRouteNeedsPush() {
        RouteTable t = table(true);
        for (Row r : rows(t)) {
            if (CONTENT.contains(r.kind()) && !READS.contains(r.method())) {
                assertThat(r.requirement().writes()).as("%s %s", r.method(), r.kind()).isTrue();
                assertThat(r.requirement().authenticates()).as("%s %s", r.method(), r.kind()).isTrue();
            }
            if (r.kind() == Kind.BLOB_UPLOAD || r.kind() == Kind.UPLOAD_SESSION) {
                assertThat(r.requirement()).as("%s %s", r.method(), r.kind()).isEqualTo(Requirement.UPLOAD);
            }
            if (r.requirement() == Requirement.PUBLIC || r.requirement() == Requirement.CALLER || r.requirement() == Requirement.LOGIN) {
                assertThat(r.method()).as("%s %s answers without an access check", r.method(), r.kind()).isIn("GET", "HEAD", "POST", "*");
                assertThat(CONTENT).doesNotContain(r.kind());
            }
        }
        // A method an upload route does not answer is refused only to a caller that may push there.
        assertThat(t.entry(Kind.BLOB_UPLOAD).otherMethods()).isEqualTo(Requirement.UPLOAD);
        assertThat(t.entry(Kind.UPLOAD_SESSION).otherMethods()).isEqualTo(Requirement.UPLOAD);
    }

    @Test
    void repositoryRequirementsOnlyOnRoutesThatNameARepository() {
        for (RouteTable.Entry e : table(true).entries()) {
            for (Row r : e.rows()) {
                if (r.requirement() == Requirement.PULL || r.requirement().writes()) {
                    assertThat(e.target).as("%s %s", r.method(), r.kind()).isNotEqualTo(Target.NONE);
                }
            }
        }
    }

    @Test
    void anUnansweredMethodIs405WithTheMethodsTheRouteAnswers() {
        RouteTable t = table(true);
        var refused = t.entry(Kind.MANIFEST).notAllowed(HttpMethod.PATCH);
        assertThat(refused.status()).isEqualTo(405);
        assertThat(refused.headers()).containsEntry("Allow", "GET, HEAD, PUT, DELETE");
        assertThat(t.entry(Kind.MANIFEST).row(HttpMethod.PATCH)).isNull();
        assertThat(t.entry(Kind.MANIFEST).row(HttpMethod.HEAD).requirement()).isEqualTo(Requirement.PULL);
        assertThat(t.entry(Kind.ADMIN_PINS).notAllowed(HttpMethod.HEAD).getMessage()).isEqualTo("pins answer GET, PUT and DELETE");
        assertThat(t.entry(Kind.HEALTH).row(HttpMethod.valueOf("OPTIONS"))).isNotNull();
    }

    @Test
    void withoutTheHardwareExtensionItsRoutesAre404() {
        RouteTable t = table(false);
        for (Kind k : List.of(Kind.SEARCH, Kind.HARDWARE, Kind.HARDWARE_CHECK, Kind.AUGMENTED_MANIFEST, Kind.EXTENSION_DISCOVER)) {
            assertThat(t.entry(k).absent()).as(k.name()).isNotNull();
            assertThat(t.entry(k).rows()).as(k.name()).isEmpty();
        }
    }
}
