package dev.gantry.app;

import dev.gantry.auth.Authenticator;
import dev.gantry.auth.Htpasswd;
import dev.gantry.auth.PeerTokens;
import dev.gantry.auth.TokenIssuer;
import dev.gantry.auth.TokenKeys;
import dev.gantry.config.ConfigException;
import dev.gantry.config.GantryConfig;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/** Builds authentication and TLS from configuration; a missing file fails start-up naming its key. */
final class Security {

    private Security() {
    }

    static Authenticator authenticator(GantryConfig config, Clock clock) throws IOException {
        Htpasswd users = null;
        if (config.auth().hasUsers()) {
            Path file = Path.of(config.auth().htpasswd());
            if (!Files.isReadable(file)) {
                throw new ConfigException("key 'auth.htpasswd': cannot read " + file);
            }
            users = new Htpasswd(file, clock);
        }
        TokenKeys keys = config.auth().tokenKeys().isEmpty()
                ? TokenKeys.generatedAt(generatedKey(config))
                : TokenKeys.of(config.auth().tokenKeys().stream().map(Path::of).toList());
        TokenIssuer tokens = new TokenIssuer(keys, config.auth().service(), config.auth().tokenTtl(), clock);
        // Only configured keys are the fleet's: a key generated per data directory is no shared secret.
        PeerTokens peers = config.auth().tokenKeys().isEmpty() ? null : PeerTokens.of(keys, clock);
        return new Authenticator(users, tokens, peers, config.auth().maxFailedLogins(),
                config.cache().entries().failedLogins(), clock);
    }

    /** Where the token key is generated when {@code auth.tokenKeys} names none: one per data directory. */
    static Path generatedKey(GantryConfig config) {
        return Path.of(config.storage().disk().path(), "auth", "token-key.pem");
    }

    static SslContext tls(GantryConfig config) throws IOException {
        return config.tls().enabled() ? TlsSetup.context(config) : null;
    }
}
