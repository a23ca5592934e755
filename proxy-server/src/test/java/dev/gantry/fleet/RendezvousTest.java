package dev.gantry.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RendezvousTest {

    private static final int KEYS = 3000;

    private static List<Member> members(String... ids) {
        List<Member> out = new ArrayList<>();
        for (String id : ids) {
            out.add(new Member(id, id + ":5000", null, null, null, "bucket"));
        }
        return out;
    }

    private static String key(int i) {
        return "blob sha256:" + Integer.toHexString(i) + "-" + i;
    }

    @Test
    void everyReplicaPicksTheSameOwnerWhateverOrderItListsTheMembersIn() {
        List<Member> one = members("a", "b", "c");
        List<Member> other = members("c", "a", "b");
        for (int i = 0; i < KEYS; i++) {
            assertThat(Rendezvous.owner(key(i), other).id()).isEqualTo(Rendezvous.owner(key(i), one).id());
        }
    }

    @Test
    void keysSpreadEvenlyOverTheMembers() {
        Map<String, Integer> owned = new HashMap<>();
        for (int i = 0; i < KEYS; i++) {
            owned.merge(Rendezvous.owner(key(i), members("replica-0", "replica-1", "replica-2")).id(), 1, Integer::sum);
        }
        assertThat(owned).hasSize(3);
        // A fair share is 1000 each; 10 % either way is far beyond the chance of a fair hash.
        owned.values().forEach(n -> assertThat(n).isBetween(900, 1100));
    }

    @Test
    void whenAMemberLeavesOnlyTheKeysItOwnedMove() {
        List<Member> before = members("a", "b", "c", "d");
        List<Member> after = members("a", "b", "d");
        int moved = 0;
        for (int i = 0; i < KEYS; i++) {
            String was = Rendezvous.owner(key(i), before).id();
            String now = Rendezvous.owner(key(i), after).id();
            if (!was.equals("c")) {
                assertThat(now).as("owner of %s, not owned by the departed member", key(i)).isEqualTo(was);
            } else {
                moved++;
                assertThat(now).isNotEqualTo("c");
            }
        }
        assertThat(moved).as("keys the departed member owned").isBetween(KEYS / 4 - 100, KEYS / 4 + 100);
    }

    @Test
    void noMembersNoOwner() {
        assertThat(Rendezvous.owner("blob x", List.of())).isNull();
    }
}
