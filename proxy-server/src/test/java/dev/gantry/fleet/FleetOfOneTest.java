package dev.gantry.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gantry.testing.GantryServer;
import dev.gantry.testing.Http;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica without a shared bucket is a fleet of one, plus the members configuration names. */
class FleetOfOneTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static JsonNode fleet(GantryServer g) throws Exception {
        return JSON.readTree(new Http(g.url()).get("/v2/_gantry/status").body()).path("fleet");
    }

    @Test
    void withoutABucketTheOnlyMemberIsThisReplicaAtItsBoundAddress() throws Exception {
        try (GantryServer g = GantryServer.start("fleet:\n  id: solo\n", tmp, Clock.systemUTC())) {
            JsonNode fleet = fleet(g);
            assertThat(fleet.path("discovery").asText()).isEqualTo("none");
            assertThat(fleet.path("members")).hasSize(1);
            assertThat(fleet.path("members").get(0).path("id").asText()).isEqualTo("solo");
            assertThat(fleet.path("members").get(0).path("address").asText()).isEqualTo(g.hostPort());
            assertThat(fleet.path("members").get(0).path("source").asText()).isEqualTo("self");
            assertThat(new Http(g.url()).get("/metrics").text()).contains("gantry_fleet_members 1.0");
        }
    }

    @Test
    void configuredMembersAreListedBesideThisReplica() throws Exception {
        try (GantryServer g = GantryServer.start("fleet:\n  members: [\"10.9.9.9:5000\"]\n", tmp, Clock.systemUTC())) {
            JsonNode fleet = fleet(g);
            assertThat(fleet.path("discovery").asText()).isEqualTo("static");
            assertThat(fleet.path("members").findValuesAsText("source")).containsExactly("self", "static");
            assertThat(fleet.path("members").get(1).path("address").asText()).isEqualTo("10.9.9.9:5000");
            assertThat(new Http(g.url()).get("/metrics").text()).contains("gantry_fleet_members 2.0");
        }
    }

    /**
     * A configured name of this replica (a headless Service lists every pod, this one too) is not a member
     * of its own: counted apart, this replica would own keys under both and ask itself for them.
     */
    @Test
    void aConfiguredNameThatResolvesToThisReplicasAddressIsThisReplica() throws Exception {
        try (GantryServer g = GantryServer.start("fleet:\n  advertise: \"127.0.0.1:5999\"\n"
                + "  members: [\"localhost:5999\", \"127.0.0.1:5999\", \"10.9.9.9:5000\"]\n", tmp, Clock.systemUTC())) {
            JsonNode fleet = fleet(g);
            assertThat(fleet.path("members").findValuesAsText("address")).containsExactly("127.0.0.1:5999", "10.9.9.9:5000");
            assertThat(fleet.path("members").findValuesAsText("source")).containsExactly("self", "static");
        }
    }
}
