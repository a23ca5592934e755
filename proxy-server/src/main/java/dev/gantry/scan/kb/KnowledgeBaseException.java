package dev.gantry.scan.kb;

/** The knowledge base cannot be loaded; the message names the file, rule and key at fault. */
public final class KnowledgeBaseException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KnowledgeBaseException(String message) {
        super(message);
    }

    public KnowledgeBaseException(String message, Throwable cause) {
        super(message, cause);
    }
}
