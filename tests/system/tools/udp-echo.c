/* udp-echo PORT: answers every UDP datagram on 0.0.0.0:PORT with "echo:"
 * and the datagram. The busybox fixture's nc has no -u, so the UDP test of
 * 060-network.bats compiles this (static) and bind-mounts it into the
 * container. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: udp-echo PORT\n");
        return 2;
    }
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)atoi(argv[1]));
    if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
        perror("bind");
        return 1;
    }
    printf("listening\n");
    fflush(stdout);
    for (;;) {
        char buf[2048], out[2100];
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&peer, &len);
        if (n < 0) continue;
        memcpy(out, "echo:", 5);
        memcpy(out + 5, buf, (size_t)n);
        sendto(s, out, (size_t)n + 5, 0, (struct sockaddr *)&peer, len);
    }
}
