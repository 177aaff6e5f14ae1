// placeholder: the command line lands with the configuration reader
int main() { return 2; }
