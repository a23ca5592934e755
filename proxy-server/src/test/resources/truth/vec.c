/* A shared library whose loops the vectoriser turns into whatever the flags allow, called without any check. */
void vec_scale(int *a, const int *b, int n) { for (int i = 0; i < n; i++) a[i] = a[i] * b[i] + 3; }
