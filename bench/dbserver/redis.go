//go:build benchredis

package main

import (
	"context"
	"flag"

	"github.com/authgo/authgo/adapters/redis"
	"github.com/authgo/authgo/store"
)

// The redis store: sessions in Redis (redis.NewSessions), users in a
// SQLite file. Built with -tags benchredis, once adapters/redis has
// NewSessions.
func init() { stores["redis"] = openRedis }

var redisFlag = flag.String("redis", "redis://127.0.0.1:6379/0", "redis: the server's URL")

func openRedis(ctx context.Context) (store.SessionStore, store.UserStore, error) {
	users, err := sqliteStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	rdb, err := redis.Open(ctx, *redisFlag)
	if err != nil {
		return nil, nil, err
	}
	return redis.NewSessions(rdb, users, redis.SessionsOptions{Prefix: "authgo-bench:"}), users, nil
}
