<?php

/*
 * Cachet 2.3.15 trusts a hard-coded list of Cloudflare ranges, so behind an AWS load balancer it
 * ignores X-Forwarded-Proto and builds http:// links. Trust the proxies in TRUSTED_PROXIES instead
 * (comma-separated CIDRs; the stack sets the VPC's range, where the load balancer's nodes live).
 * Runs on PHP 7.1.
 */

use Illuminate\Http\Request;

$proxies = array_values(array_filter(array_map('trim', explode(',', (string) getenv('TRUSTED_PROXIES')))));
foreach ($proxies as $proxy) {
    if (!preg_match('#^[0-9a-fA-F.:]+/[0-9]{1,3}$#', $proxy)) {
        throw new RuntimeException("TRUSTED_PROXIES: \"{$proxy}\" is not a CIDR block; give the VPC range, e.g. 10.20.0.0/16");
    }
}

return [
    'proxies' => $proxies,
    'headers' => [
        Request::HEADER_CLIENT_IP    => 'X_FORWARDED_FOR',
        Request::HEADER_CLIENT_HOST  => 'X_FORWARDED_HOST',
        Request::HEADER_CLIENT_PROTO => 'X_FORWARDED_PROTO',
        Request::HEADER_CLIENT_PORT  => 'X_FORWARDED_PORT',
    ],
];
