package dev.gantry.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnershipTest {

    private static final List<Member> MEMBERS = List.of(
            new Member("a", "a:1", null, null, null, "self"),
            new Member("b", "b:1", null, null, null, "bucket"),
            new Member("c", "c:1", null, null, null, "bucket"));

    private static String keyOwnedBy(String id) {
        for (int i = 0; ; i++) {
            if (Rendezvous.owner("k" + i, MEMBERS).id().equals(id)) {
                return "k" + i;
            }
        }
    }

    @Test
    void thisReplicasOwnKeysHaveNoOwnerToAsk() {
        Ownership o = new Ownership("a", () -> MEMBERS, Duration.ofSeconds(5), MutableClock.startingNow());
        assertThat(o.owner(keyOwnedBy("a"))).isNull();
        assertThat(o.owner(keyOwnedBy("b")).id()).isEqualTo("b");
    }

    @Test
    void aFleetOfOneOwnsEverything() {
        Ownership o = new Ownership("a", () -> MEMBERS.subList(0, 1), Duration.ofSeconds(5), MutableClock.startingNow());
        assertThat(o.owner(keyOwnedBy("b"))).isNull();
    }

    @Test
    void anUnreachableMembersKeysGoToTheOthersUntilTheSuspicionRunsOut() {
        MutableClock clock = MutableClock.startingNow();
        Ownership o = new Ownership("a", () -> MEMBERS, Duration.ofSeconds(5), clock);
        String key = keyOwnedBy("b");
        o.unreachable("b:1");
        Member now = o.owner(key);
        assertThat(now == null ? "a" : now.id()).isEqualTo(Rendezvous.owner(key, List.of(MEMBERS.get(0), MEMBERS.get(2))).id());
        assertThat(o.owner(keyOwnedBy("c")).id()).as("keys of the others stay").isEqualTo("c");
        clock.advance(Duration.ofSeconds(5));
        assertThat(o.owner(key).id()).isEqualTo("b");
    }
}
