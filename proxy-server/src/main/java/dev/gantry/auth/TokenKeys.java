package dev.gantry.auth;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Reader;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jce.interfaces.ECPrivateKey;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.jce.spec.ECParameterSpec;
import org.bouncycastle.jce.spec.ECPublicKeySpec;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The token keys: one EC P-256 key pair that signs, and every key that
 * verifies, each known by its {@code kid}. A {@code kid} is derived from the
 * public key alone (the first 12 bytes of the SHA-256 of its DER encoding, in
 * hex), so every replica loading the same key file names it alike.
 *
 * <p>Configured keys ({@code auth.tokenKeys}) make rotation an overlap: the
 * first signs, all verify. Without them a key is generated once per data
 * directory, which suits a single replica only.
 */
public final class TokenKeys {

    private static final Logger log = LoggerFactory.getLogger(TokenKeys.class);
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private final KeyPair signing;
    private final String signingKid;
    private final Map<String, PublicKey> verifying;
    private final List<byte[]> privateKeyMaterial;

    private TokenKeys(List<KeyPair> pairs) {
        this.signing = pairs.get(0);
        this.signingKid = kid(signing.getPublic());
        Map<String, PublicKey> byKid = new LinkedHashMap<>();
        for (KeyPair p : pairs) {
            byKid.putIfAbsent(kid(p.getPublic()), p.getPublic());
        }
        this.verifying = Map.copyOf(byKid);
        this.privateKeyMaterial = pairs.stream().map(p -> p.getPrivate().getEncoded()).toList();
    }

    /** The keys in {@code files}: the first signs, all verify. */
    public static TokenKeys of(List<Path> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no token key files");
        }
        List<KeyPair> pairs = new ArrayList<>();
        for (Path f : files) {
            pairs.add(load(f));
        }
        return new TokenKeys(pairs);
    }

    /** The key at {@code keyFile}, generated and saved (owner-readable only) on first use. */
    public static TokenKeys generatedAt(Path keyFile) throws IOException {
        if (Files.exists(keyFile)) {
            return new TokenKeys(List.of(load(keyFile)));
        }
        KeyPair keys;
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC", BC);
            gen.initialize(new ECGenParameterSpec("secp256r1"));
            keys = gen.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot generate a token signing key", e);
        }
        Files.createDirectories(keyFile.toAbsolutePath().getParent());
        Path tmp = keyFile.resolveSibling(keyFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp); // a crash's leftover, whatever its permissions
        // Private from its creation: written first and restricted after, the key was readable for a moment.
        try (Writer w = new OutputStreamWriter(Channels.newOutputStream(ownerOnly(tmp)),
                StandardCharsets.US_ASCII); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(keys);
        }
        Files.move(tmp, keyFile, StandardCopyOption.ATOMIC_MOVE);
        log.info("generated the token signing key {}", keyFile);
        return new TokenKeys(List.of(jdk(keys)));
    }

    /** A new file only its owner may read and write (where the file system has POSIX permissions). */
    private static WritableByteChannel ownerOnly(Path file) throws IOException {
        Set<StandardOpenOption> options = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            return Files.newByteChannel(file, options,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            return Files.newByteChannel(file, options);
        }
    }

    /**
     * Reads one PEM EC P-256 private key: SEC 1 ({@code BEGIN EC PRIVATE KEY},
     * what {@code openssl ecparam -genkey} writes) or PKCS #8 ({@code BEGIN
     * PRIVATE KEY}, what {@code openssl genpkey} writes).
     *
     * @throws IOException naming the file when it cannot be read or holds something else
     */
    public static KeyPair load(Path file) throws IOException {
        Object pem;
        try (Reader r = Files.newBufferedReader(file); PEMParser parser = new PEMParser(r)) {
            pem = parser.readObject();
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + " is not a PEM key: " + e.getMessage(), e);
        }
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter().setProvider(BC);
        KeyPair pair;
        if (pem instanceof PEMKeyPair p) {
            pair = converter.getKeyPair(p);
        } else if (pem instanceof PrivateKeyInfo info) {
            PrivateKey priv = converter.getPrivateKey(info);
            pair = new KeyPair(publicOf(priv, file), priv);
        } else {
            throw new IOException(file + " holds no PEM private key (make one with: openssl ecparam -name prime256v1 -genkey -noout)");
        }
        if (!(pair.getPublic() instanceof ECPublicKey ec) || ec.getParams().getCurve().getField().getFieldSize() != 256) {
            throw new IOException(file + " is not an EC P-256 key (ES256 tokens need one: openssl ecparam -name prime256v1 -genkey -noout)");
        }
        return jdk(pair);
    }

    /** The JDK's own EC keys for {@code pair}: its {@code Signature} refuses Bouncy Castle's ("ECDSA") key objects. */
    private static KeyPair jdk(KeyPair pair) throws IOException {
        try {
            KeyFactory ec = KeyFactory.getInstance("EC");
            return new KeyPair(ec.generatePublic(new X509EncodedKeySpec(pair.getPublic().getEncoded())),
                    ec.generatePrivate(new PKCS8EncodedKeySpec(pair.getPrivate().getEncoded())));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot convert an EC key: " + e.getMessage(), e);
        }
    }

    private static PublicKey publicOf(PrivateKey priv, Path file) throws IOException {
        if (!(priv instanceof ECPrivateKey ec)) {
            throw new IOException(file + " is not an EC P-256 key (ES256 tokens need one: openssl ecparam -name prime256v1 -genkey -noout)");
        }
        try {
            ECParameterSpec spec = ec.getParameters();
            return KeyFactory.getInstance("EC", BC).generatePublic(new ECPublicKeySpec(spec.getG().multiply(ec.getD()).normalize(), spec));
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": cannot derive its public key: " + e.getMessage(), e);
        }
    }

    /** The stable id of {@code key}: the first 12 bytes of SHA-256 over its DER encoding, in hex. */
    public static String kid(PublicKey key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return HexFormat.of().formatHex(hash, 0, 12);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Each key's private encoding, the signing key's first: what the fleet's peer secrets derive from ({@link PeerTokens}). */
    List<byte[]> privateKeyMaterial() {
        return privateKeyMaterial;
    }

    KeyPair signing() {
        return signing;
    }

    /** The kid of the signing key, written into every token's header. */
    public String signingKid() {
        return signingKid;
    }

    /** The verifying key named {@code kid}; empty for a kid no configured key has. */
    Optional<PublicKey> verifying(String kid) {
        return Optional.ofNullable(verifying.get(kid));
    }
}
