package dev.gantry.app;

import dev.gantry.config.ConfigException;
import dev.gantry.config.GantryConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for the front end. With {@code tls.certFile}/{@code tls.keyFile} those
 * PEM files are used as they are. With {@code tls: auto}, a CA and a server
 * certificate are generated with Bouncy Castle on first start and kept under
 * {@code <storage.disk.path>/tls/}; the server certificate is renewed when
 * its names change or it nears expiry, always signed by the same CA, so
 * clients that trust the CA once keep trusting Gantry.
 */
final class TlsSetup {

    private static final Logger log = LoggerFactory.getLogger(TlsSetup.class);
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private TlsSetup() {
    }

    static SslContext context(GantryConfig config) throws IOException {
        Path cert;
        Path key;
        if (config.tls().certFile() != null) {
            cert = Path.of(config.tls().certFile());
            key = Path.of(config.tls().keyFile());
            for (Path p : List.of(cert, key)) {
                if (!Files.isReadable(p)) {
                    throw new ConfigException("key 'tls." + (p.equals(cert) ? "certFile" : "keyFile") + "': cannot read " + p);
                }
            }
        } else {
            Path dir = Path.of(config.storage().disk().path(), "tls").toAbsolutePath().normalize();
            Set<String> names = names(config);
            generate(dir, names);
            cert = dir.resolve("server.crt");
            key = dir.resolve("server.key");
            String port = Integer.toString(config.listenPort());
            log.info("TLS with the generated CA {}: clients trust it by placing it at /etc/docker/certs.d/<host>:{}/ca.crt "
                    + "(Docker, containerd) or with --cert-dir/--tls-verify (Podman, skopeo); certificate names: {}",
                    dir.resolve("ca.crt"), port, names);
        }
        try {
            return SslContextBuilder.forServer(cert.toFile(), key.toFile()).build();
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("TLS certificate " + cert + " or key " + key + " is unusable: " + e.getMessage(), e);
        }
    }

    /** The names the server certificate must carry. */
    static Set<String> names(GantryConfig config) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost", "127.0.0.1", "::1"));
        String host = config.listenHost();
        if (!host.equals("0.0.0.0") && !host.equals("::")) {
            names.add(host);
        }
        try {
            names.add(InetAddress.getLocalHost().getHostName());
        } catch (IOException ignored) {
            // No resolvable host name: the others still serve.
        }
        names.addAll(config.tls().hosts());
        return names;
    }

    /** Creates the CA if missing, and the server certificate if missing, stale, or issued for other names. */
    static void generate(Path dir, Set<String> names) throws IOException {
        Files.createDirectories(dir);
        Path caCert = dir.resolve("ca.crt");
        Path caKey = dir.resolve("ca.key");
        try {
            KeyPair ca;
            X509Certificate caCertificate;
            if (Files.exists(caCert) && Files.exists(caKey)) {
                ca = new KeyPair(readCert(caCert).getPublicKey(), readKey(caKey));
                caCertificate = readCert(caCert);
            } else {
                ca = newKey();
                caCertificate = sign(new X500Name("CN=Gantry CA"), ca, new X500Name("CN=Gantry CA"), ca.getPublic(), null,
                        Duration.ofDays(3650), true);
                writeKey(caKey, ca.getPrivate());
                writePem(caCert, caCertificate);
                log.info("generated a TLS CA at {}", caCert);
            }
            Path serverCert = dir.resolve("server.crt");
            Path serverKey = dir.resolve("server.key");
            if (Files.exists(serverCert) && Files.exists(serverKey) && current(readCert(serverCert), names)) {
                return;
            }
            KeyPair server = newKey();
            X509Certificate cert = sign(new X500Name("CN=Gantry CA"), ca, new X500Name("CN=" + names.iterator().next()),
                    server.getPublic(), names, Duration.ofDays(397), false);
            writeKey(serverKey, server.getPrivate());
            writePem(serverCert, cert, caCertificate);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot generate TLS certificates in " + dir, e);
        }
    }

    private static boolean current(X509Certificate cert, Set<String> names) throws GeneralSecurityException {
        if (cert.getNotAfter().toInstant().isBefore(Instant.now().plus(Duration.ofDays(30)))) {
            return false;
        }
        Set<String> have = new LinkedHashSet<>();
        Collection<List<?>> sans = cert.getSubjectAlternativeNames();
        if (sans != null) {
            for (List<?> san : sans) {
                have.add(String.valueOf(san.get(1)));
            }
        }
        for (String n : names) {
            if (!have.contains(n) && !(n.equals("::1") && have.contains("0:0:0:0:0:0:0:1"))) {
                return false;
            }
        }
        return true;
    }

    private static KeyPair newKey() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC", BC);
        gen.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
        return gen.generateKeyPair();
    }

    private static X509Certificate sign(X500Name issuer, KeyPair issuerKey, X500Name subject, PublicKey subjectKey,
                                        Set<String> names, Duration validity, boolean isCa)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer, new BigInteger(128, new SecureRandom()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(validity)), subject, subjectKey);
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKey.getPublic()));
        if (isCa) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        } else {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            List<GeneralName> sans = new ArrayList<>();
            for (String n : names) {
                boolean ip = n.matches("[0-9.]+") || n.contains(":");
                sans.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, n));
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(new GeneralName[0])));
        }
        X509CertificateHolder holder = b.build(new JcaContentSignerBuilder("SHA256withECDSA").setProvider(BC).build(issuerKey.getPrivate()));
        return new JcaX509CertificateConverter().setProvider(BC).getCertificate(holder);
    }

    private static X509Certificate readCert(Path file) throws IOException, GeneralSecurityException {
        try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
            return new JcaX509CertificateConverter().setProvider(BC).getCertificate((X509CertificateHolder) p.readObject());
        }
    }

    private static PrivateKey readKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file); PEMParser p = new PEMParser(r)) {
            return new JcaPEMKeyConverter().setProvider(BC)
                    .getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) p.readObject());
        }
    }

    private static void writeKey(Path file, PrivateKey key) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            pem.writeObject(new JcaPKCS8Generator(key, null));
        }
        try {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException ignored) {
            // Not a POSIX file system.
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writePem(Path file, X509Certificate... certs) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp); JcaPEMWriter pem = new JcaPEMWriter(w)) {
            for (X509Certificate c : certs) {
                pem.writeObject(c);
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
