package dev.gantry.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.gantry.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HtpasswdTest {

    @TempDir
    Path tmp;

    @Test
    void checksBcryptEntriesOfEveryVersionAndIgnoresWeakHashes() throws Exception {
        byte[] salt = new byte[16];
        Path file = tmp.resolve("htpasswd");
        Files.writeString(file, "# users\n"
                + "a:" + OpenBSDBCrypt.generate("2a", "pa".toCharArray(), salt, 4) + "\n"
                + "b:" + OpenBSDBCrypt.generate("2b", "pb".toCharArray(), salt, 4) + "\n"
                + "y:" + OpenBSDBCrypt.generate("2y", "py".toCharArray(), salt, 4) + "\n"
                + "md5:$apr1$abc$0123456789abcdefghijkl\n"
                + "sha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n");
        Htpasswd users = new Htpasswd(file, MutableClock.startingNow());
        assertThat(users.size()).isEqualTo(3);
        assertThat(users.verify("a", "pa")).isTrue();
        assertThat(users.verify("b", "pb")).isTrue();
        assertThat(users.verify("y", "py")).isTrue();
        assertThat(users.verify("y", "pa")).isFalse();
        assertThat(users.verify("nobody", "pa")).isFalse();
        assertThat(users.verify("md5", "anything")).isFalse();
    }

    @Test
    void aPasswordThatCheckedOutIsRememberedUntilItsEntryChangesAndAWrongOneNeverIs() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        Path file = tmp.resolve("htpasswd");
        Files.writeString(file, "a:" + OpenBSDBCrypt.generate("2y", "pa".toCharArray(), new byte[16], 4) + "\n");
        Htpasswd users = new Htpasswd(file, clock);
        for (int i = 0; i < 3; i++) {
            assertThat(users.verify("a", "pa")).isTrue();
            assertThat(users.verify("a", "wrong")).isFalse();
        }
        assertThat(users.bcryptChecks()).isEqualTo(1 + 3); // the good password once, every wrong one

        // A new password for a: the old one is refused at once, though it was remembered.
        rewrite(file, "a:" + OpenBSDBCrypt.generate("2y", "new".toCharArray(), new byte[16], 4) + "\n", clock);
        assertThat(users.verify("a", "pa")).isFalse();
        assertThat(users.verify("a", "new")).isTrue();

        // A removed user is refused at once too.
        rewrite(file, "# nobody\n", clock);
        assertThat(users.verify("a", "new")).isFalse();
    }

    @Test
    void picksUpNewUsersWhenTheFileChanges() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        Path file = tmp.resolve("htpasswd");
        Files.writeString(file, "a:" + OpenBSDBCrypt.generate("2y", "pa".toCharArray(), new byte[16], 4) + "\n");
        Htpasswd users = new Htpasswd(file, clock);
        rewrite(file, "c:" + OpenBSDBCrypt.generate("2y", "pc".toCharArray(), new byte[16], 4) + "\n", clock);
        assertThat(users.verify("c", "pc")).isTrue();
        assertThat(users.verify("a", "pa")).isFalse();
    }

    /** An unknown user's password is checked against a hash of the entries' own cost: as slow as a real one. */
    @Test
    void anUnknownUserCostsTheSameBcryptWorkAsAKnownOne() throws Exception {
        MutableClock clock = MutableClock.startingNow();
        Path file = tmp.resolve("htpasswd");
        Files.writeString(file, "a:" + OpenBSDBCrypt.generate("2y", "pa".toCharArray(), new byte[16], 5) + "\n");
        Htpasswd users = new Htpasswd(file, clock);
        assertThat(users.dummyHash()).startsWith("$2y$05$");
        assertThat(users.verify("nobody", "pa")).isFalse();
        rewrite(file, "a:" + OpenBSDBCrypt.generate("2y", "pa".toCharArray(), new byte[16], 4) + "\n"
                + "b:" + OpenBSDBCrypt.generate("2y", "pb".toCharArray(), new byte[16], 6) + "\n", clock);
        assertThat(users.verify("b", "pb")).isTrue();
        assertThat(users.dummyHash()).as("the highest cost in the file").startsWith("$2y$06$");
    }

    /** Rewrites the file with a later modification time and lets the re-read interval pass. */
    private static void rewrite(Path file, String content, MutableClock clock) throws Exception {
        FileTime before = Files.getLastModifiedTime(file);
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, FileTime.fromMillis(before.toMillis() + 10_000));
        clock.advance(Duration.ofSeconds(6));
    }
}
