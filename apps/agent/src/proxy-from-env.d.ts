declare module 'proxy-from-env' {
  /** The proxy HTTPS_PROXY, HTTP_PROXY or ALL_PROXY names for the URL, '' when none or NO_PROXY excludes it. */
  export function getProxyForUrl(url: string): string;
}
