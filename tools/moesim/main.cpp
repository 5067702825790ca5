#include <cstdio>

int main() {
  std::puts("moesim: skeleton");
  return 0;
}
